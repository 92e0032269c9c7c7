"""dc.nn.functional: activations, softmax/log_softmax and one_hot.

Each differentiable op is a Function whose backward is one native pass
(``_C.<op>_backward``), saving the op's output or input as the formula needs.
relu, sigmoid and tanh are the tensor ops of dc (ops/elementwise.py).
"""
import numbers
import warnings

from ... import _C
from ..._dtype import int64
from ..._tensor import Tensor
from ...autograd import grad_mode
from ...autograd.function import Function
from ...ops import elementwise as _ew

__all__ = ["relu", "relu_", "leaky_relu", "leaky_relu_", "elu", "elu_", "sigmoid", "tanh",
           "softmax", "log_softmax", "one_hot"]

_make = Tensor._make


def _check_tensor(op, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor as input, got {type(x).__name__}")


def _check_number(op, name, v):
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{op}: {name} must be a number, got {type(v).__name__}")
    return float(v)


def _run(fn, x, *args):
    """fn.apply when a graph is needed, else the forward alone."""
    if x._requires_grad and grad_mode.state.enabled:
        return fn.apply(x, *args)
    return fn.forward(None, x, *args)


def _inplace(input, out):
    """Writes out into input (the inplace=True variants; no graph through them)."""
    _ew.copy_(input, out)
    return input


# ---------------------------------------------------------------- pointwise
class LeakyRelu(Function):
    @staticmethod
    def forward(ctx, x, negative_slope):
        if ctx:
            ctx.save_for_backward(x)
            ctx.negative_slope = negative_slope
        return _make(_C.leaky_relu(x._a, negative_slope))

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return _make(_C.leaky_relu_backward(grad._a, x._a, ctx.negative_slope)), None


class Elu(Function):
    @staticmethod
    def forward(ctx, x, alpha):
        if ctx:
            ctx.save_for_backward(x)
            ctx.alpha = alpha
        return _make(_C.elu(x._a, alpha))

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return _make(_C.elu_backward(grad._a, x._a, ctx.alpha)), None


def relu(input, inplace=False):
    """max(x, 0); the gradient is 0 where the output is 0."""
    _check_tensor("relu", input)
    out = _ew.relu(input)
    return _inplace(input, out) if inplace else out


def relu_(input):
    return relu(input, inplace=True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x."""
    _check_tensor("leaky_relu", input)
    slope = _check_number("leaky_relu", "negative_slope", negative_slope)
    out = _run(LeakyRelu, input, slope)
    return _inplace(input, out) if inplace else out


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x) - 1)."""
    _check_tensor("elu", input)
    a = _check_number("elu", "alpha", alpha)
    out = _run(Elu, input, a)
    return _inplace(input, out) if inplace else out


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


def sigmoid(input):
    _check_tensor("sigmoid", input)
    return _ew.sigmoid(input)


def tanh(input):
    _check_tensor("tanh", input)
    return _ew.tanh(input)


# ---------------------------------------------------------------- softmax
class Softmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        out = _make(_C.softmax(x._a, dim))
        if ctx:
            ctx.save_for_backward(out)
            ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return _make(_C.softmax_backward(grad._a, out._a, ctx.dim)), None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        out = _make(_C.log_softmax(x._a, dim))
        if ctx:
            ctx.save_for_backward(out)
            ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return _make(_C.log_softmax_backward(grad._a, out._a, ctx.dim)), None


def _softmax_dim(op, input, dim):
    if dim is None:
        # PyTorch's legacy implicit choice, with its warning.
        warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the call "
                      "to include dim=X as an argument.", stacklevel=3)
        return 0 if input.ndim in (0, 1, 3) else 1
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    return int(dim)


def _softmax_like(fn, op, input, dim, dtype):
    _check_tensor(op, input)
    d = _softmax_dim(op, input, dim)
    if dtype is not None:
        input = input.to(dtype)
    return _run(fn, input, d)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along dim, computed as exp(x - max) / sum(exp(x - max))."""
    return _softmax_like(Softmax, "softmax", input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x - logsumexp(x) along dim, computed as (x - max) - log(sum(exp(x - max)))."""
    return _softmax_like(LogSoftmax, "log_softmax", input, dim, dtype)


# ---------------------------------------------------------------- one_hot
def one_hot(tensor, num_classes=-1):
    """int64 (..., num_classes) with a 1 at each label's position (PyTorch's rules:
    labels must be int64 and in [0, num_classes); -1 infers max + 1)."""
    _check_tensor("one_hot", tensor)
    if tensor.dtype is not int64:
        raise TypeError(f"one_hot: expected an int64 tensor of class indices, got {tensor.dtype}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral):
        raise TypeError(f"one_hot: num_classes must be an int, got {type(num_classes).__name__}")
    num_classes = int(num_classes)
    if num_classes < -1:
        raise ValueError(f"one_hot: num_classes should be -1 or non-negative, got {num_classes}")
    n = tensor.numel()
    if n > 0:
        lo, hi = tensor.amin().item(), tensor.amax().item()
        if lo < 0:
            raise ValueError(f"one_hot: class values must be non-negative, got {lo}")
        if num_classes == -1:
            num_classes = hi + 1
        elif hi >= num_classes:
            raise ValueError(f"one_hot: class values must be smaller than num_classes "
                             f"({num_classes}), got {hi}")
    elif num_classes == -1:
        raise ValueError("one_hot: can not infer the total number of classes from an empty "
                         "tensor; pass num_classes")
    from ..._creation import arange
    classes = arange(num_classes, dtype=int64, device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).to(int64)


def _softmax_method(self, dim, dtype=None):
    return softmax(self, dim, dtype=dtype)


def _log_softmax_method(self, dim, dtype=None):
    return log_softmax(self, dim, dtype=dtype)


# PyTorch's Tensor.softmax(dim) and Tensor.log_softmax(dim).
Tensor.softmax = _softmax_method
Tensor.log_softmax = _log_softmax_method
