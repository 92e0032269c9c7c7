"""dc.nn.functional: losses.

cross_entropy is one fused native op from logits (no log_softmax tensor is
built): forward returns the loss and, per row, lse = logsumexp(logits); the
backward computes softmax - target, scaled, in one pass from the logits and
lse. nll_loss, multi_margin_loss and the elementwise losses (mse, l1, bce,
bce with logits) are native too, forward and backward. All take
reduction="mean" | "sum" | "none" with PyTorch's meaning; the legacy
size_average/reduce arguments map to it as in PyTorch.

Per-class weights and pos_weight get no gradient (as in PyTorch, where their
derivative is not implemented): passing one that requires grad raises.
"""
import numbers
import warnings

from ... import _C
from ..._tensor import Tensor
from ...autograd import grad_mode
from ...autograd.function import Function

__all__ = ["cross_entropy", "nll_loss", "multi_margin_loss", "mse_loss", "l1_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits"]

_make = Tensor._make


def _reduction(op, size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      "reduction='...' instead.", stacklevel=3)
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        return "mean" if (size_average and reduce) else ("sum" if reduce else "none")
    if not isinstance(reduction, str):
        raise TypeError(f"{op}: reduction must be a string, got {type(reduction).__name__}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: '{reduction}' is not a valid value for reduction (expected "
                         "'mean', 'sum' or 'none')")
    return reduction


def _tensor(op, name, x, optional=False):
    if x is None and optional:
        return None
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected {name} to be a Tensor, got {type(x).__name__}")
    return x


def _no_grad_weight(op, name, w):
    if w is not None and w._requires_grad and grad_mode.state.enabled:
        raise NotImplementedError(f"{op}: the derivative with respect to {name} is not "
                                  "implemented; pass a tensor that does not require grad")


def _int(op, name, v):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{op}: {name} must be an int, got {type(v).__name__}")
    return int(v)


def _float(op, name, v):
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{op}: {name} must be a number, got {type(v).__name__}")
    return float(v)


def _arr(t):
    return None if t is None else t._a


def _apply(fn, tensors, *args):
    """fn.apply when a graph is needed (some tensor in `tensors` requires grad)."""
    if grad_mode.state.enabled and any(t is not None and t._requires_grad for t in tensors):
        return fn.apply(*args)
    return fn.forward(None, *args)


# ---------------------------------------------------------------- cross-entropy
class CrossEntropy(Function):
    @staticmethod
    def forward(ctx, logits, target, weight, ignore_index, label_smoothing, reduction):
        loss, lse = _C.cross_entropy(logits._a, target._a, _arr(weight), ignore_index,
                                     label_smoothing, reduction)
        if ctx:
            ctx.save_for_backward(logits, target, weight, _make(lse))
            ctx.args = ignore_index, label_smoothing, reduction
        return _make(loss)

    @staticmethod
    def backward(ctx, grad):
        logits, target, weight, lse = ctx.saved_tensors
        ignore_index, ls, reduction = ctx.args
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = _make(_C.cross_entropy_backward(grad._a, logits._a, target._a, _arr(weight),
                                                 lse._a, ignore_index, ls, reduction))
        if ctx.needs_input_grad[1]:
            # Probability targets: d loss_i / d t_ic = -(1 - ls) w_c log_softmax(x)_ic.
            cdim = 0 if logits.ndim == 1 else 1
            logp = logits - lse.unsqueeze(cdim)
            g = grad
            if reduction == "mean":
                rows = lse.numel()
                g = grad / rows
            if reduction == "none":
                g = grad.unsqueeze(cdim)
            gt = logp * (-(1.0 - ls)) * g
            if weight is not None:
                shape = [1] * logits.ndim
                shape[cdim] = -1
                gt = gt * weight.reshape(shape)
        return gx, gt, None, None, None, None


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy of logits (C,) or (N, C, d1, ...) against int64 class
    indices (shape () or (N, d1, ...)) or class probabilities (logits' shape)."""
    op = "cross_entropy"
    _tensor(op, "input", input)
    _tensor(op, "target", target)
    _tensor(op, "weight", weight, optional=True)
    reduction = _reduction(op, size_average, reduce, reduction)
    ignore_index = _int(op, "ignore_index", ignore_index)
    label_smoothing = _float(op, "label_smoothing", label_smoothing)
    _no_grad_weight(op, "weight", weight)
    return _apply(CrossEntropy, (input, target), input, target, weight, ignore_index,
                  label_smoothing, reduction)


# ---------------------------------------------------------------- nll
class NllLoss(Function):
    @staticmethod
    def forward(ctx, input, target, weight, ignore_index, reduction):
        if ctx:
            ctx.save_for_backward(input, target, weight)
            ctx.args = ignore_index, reduction
        return _make(_C.nll_loss(input._a, target._a, _arr(weight), ignore_index, reduction))

    @staticmethod
    def backward(ctx, grad):
        input, target, weight = ctx.saved_tensors
        ignore_index, reduction = ctx.args
        gx = _C.nll_loss_backward(grad._a, input._a, target._a, _arr(weight), ignore_index,
                                  reduction)
        return _make(gx), None, None, None, None


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of log-probabilities (C,) or (N, C, d1, ...) at
    int64 class indices: loss_i = -weight[t_i] * input[i, t_i]."""
    op = "nll_loss"
    _tensor(op, "input", input)
    _tensor(op, "target", target)
    _tensor(op, "weight", weight, optional=True)
    reduction = _reduction(op, size_average, reduce, reduction)
    ignore_index = _int(op, "ignore_index", ignore_index)
    _no_grad_weight(op, "weight", weight)
    return _apply(NllLoss, (input,), input, target, weight, ignore_index, reduction)


# ---------------------------------------------------------------- multi-margin
class MultiMarginLoss(Function):
    @staticmethod
    def forward(ctx, input, target, p, margin, weight, reduction):
        if ctx:
            ctx.save_for_backward(input, target, weight)
            ctx.args = p, margin, reduction
        return _make(_C.multi_margin_loss(input._a, target._a, p, margin, _arr(weight),
                                          reduction))

    @staticmethod
    def backward(ctx, grad):
        input, target, weight = ctx.saved_tensors
        p, margin, reduction = ctx.args
        gx = _C.multi_margin_loss_backward(grad._a, input._a, target._a, p, margin, _arr(weight),
                                           reduction)
        return _make(gx), None, None, None, None, None


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss: sum_{j != t} weight[t] max(0, margin - x[t] + x[j])^p / C."""
    op = "multi_margin_loss"
    _tensor(op, "input", input)
    _tensor(op, "target", target)
    _tensor(op, "weight", weight, optional=True)
    reduction = _reduction(op, size_average, reduce, reduction)
    p = _int(op, "p", p)
    margin = _float(op, "margin", margin)
    _no_grad_weight(op, "weight", weight)
    return _apply(MultiMarginLoss, (input,), input, target, p, margin, weight, reduction)


# ---------------------------------------------------------------- elementwise losses
class PointwiseLoss(Function):
    @staticmethod
    def forward(ctx, input, target, weight, pos_weight, name, reduction):
        if name == "binary_cross_entropy_with_logits":
            out = _C.binary_cross_entropy_with_logits(input._a, target._a, _arr(weight),
                                                      _arr(pos_weight), reduction)
        elif name == "binary_cross_entropy":
            out = _C.binary_cross_entropy(input._a, target._a, _arr(weight), reduction)
        else:
            out = getattr(_C, name)(input._a, target._a, reduction)
        if ctx:
            ctx.save_for_backward(input, target, weight, pos_weight)
            ctx.args = name, reduction
        return _make(out)

    @staticmethod
    def backward(ctx, grad):
        input, target, weight, pos_weight = ctx.saved_tensors
        name, reduction = ctx.args

        def grad_wrt(target_side):
            return _make(_C.pointwise_loss_backward(name, grad._a, input._a, target._a,
                                                    _arr(weight), _arr(pos_weight), reduction,
                                                    target_side))
        gx = grad_wrt(False) if ctx.needs_input_grad[0] else None
        gt = grad_wrt(True) if ctx.needs_input_grad[1] else None
        return gx, gt, None, None, None, None


def _pointwise(name, input, target, weight, pos_weight, size_average, reduce, reduction):
    _tensor(name, "input", input)
    _tensor(name, "target", target)
    _tensor(name, "weight", weight, optional=True)
    _tensor(name, "pos_weight", pos_weight, optional=True)
    reduction = _reduction(name, size_average, reduce, reduction)
    _no_grad_weight(name, "weight", weight)
    _no_grad_weight(name, "pos_weight", pos_weight)
    return _apply(PointwiseLoss, (input, target), input, target, weight, pos_weight, name,
                  reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """(input - target)^2. Shapes must match (PyTorch would broadcast with a warning)."""
    return _pointwise("mse_loss", input, target, None, None, size_average, reduce, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """|input - target|; shapes must match."""
    return _pointwise("l1_loss", input, target, None, None, size_average, reduce, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-weight (t log x + (1 - t) log(1 - x)) for probabilities x in [0, 1]; each
    log is clamped at -100 as in PyTorch, so x = 0 or 1 gives a finite loss."""
    return _pointwise("binary_cross_entropy", input, target, weight, None, size_average, reduce,
                      reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """binary_cross_entropy(sigmoid(x), t) computed stably from logits:
    weight ((1 - t) x - (1 + (pos_weight - 1) t) log sigmoid(x))."""
    return _pointwise("binary_cross_entropy_with_logits", input, target, weight, pos_weight,
                      size_average, reduce, reduction)
