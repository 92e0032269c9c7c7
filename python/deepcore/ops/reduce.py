"""Reductions: sum, mean, var/std, amax/amin, max/min, argmax/argmin, all/any,
logsumexp and norm, with PyTorch's semantics.

Each differentiable op is a Function with its backward beside its forward. A
reduction's gradient is the output's gradient viewed with the reduced dims
kept (size 1) and broadcast back over them (``_unreduce``); max-like ops
send it to the elements that won (ties split evenly, as PyTorch; max/min
along a dim send it to the returned index only).
"""
import builtins
import collections
import math
import numbers

from .. import _C
from .._dtype import to_dtype
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.function import Function
from .elementwise import maximum, minimum, where

_make = Tensor._make


def _apply(fn, x, *args):
    if x._requires_grad and grad_mode.state.enabled:
        return fn.apply(x, *args)
    return fn.forward(None, x, *args)


def _scalar(value, like):
    """A 0-d native array of `like`'s dtype and device."""
    s = _C.scalar(value, like.dtype)
    return s if like.device.type == 0 else _C.to_device(s, like.device)


def _check(op, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor as input, got {type(x).__name__}")


def _dims(op, dim):
    """dim (None, an int, or a tuple/list of ints) as the native list; None = all dims."""
    if dim is None:
        return None
    if isinstance(dim, numbers.Integral) and not isinstance(dim, bool):
        return [int(dim)]
    if isinstance(dim, (tuple, list)):
        if builtins.all(isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in dim):
            return [int(d) for d in dim]
    raise TypeError(f"{op}: dim must be None, an int or a tuple of ints, got {dim!r}")


def _one_dim(op, dim):
    if isinstance(dim, numbers.Integral) and not isinstance(dim, bool):
        return int(dim)
    raise TypeError(f"{op}: dim must be an int, got {dim!r}")


def _reduced(shape, dims):
    """Wrapped reduced dims of `shape` (dims already validated by the native op)."""
    n = len(shape)
    if not dims or n == 0:
        return set(range(n))
    return {d % n for d in dims}


def _keep_shape(shape, dims):
    """The keepdim=True output shape of reducing `shape` over `dims`."""
    red = _reduced(shape, dims)
    return tuple(1 if i in red else s for i, s in enumerate(shape))


def _count(shape, dims):
    """Number of elements each output reduces."""
    return math.prod(shape[i] for i in _reduced(shape, dims))


def _kept(grad, shape, dims, keepdim):
    """An output-shaped tensor viewed with the reduced dims kept as size 1."""
    return grad if keepdim else grad.reshape(_keep_shape(shape, dims))


def _unreduce(grad, shape, dims, keepdim):
    """The gradient of a reduction's output broadcast back to the input's shape."""
    return _kept(grad, shape, dims, keepdim).expand(shape)


# ---------------------------------------------------------------- sum, mean
class Sum(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        if ctx:
            ctx.args = x.shape, dims, keepdim
        return _make(_C.sum(x._a, dims, keepdim))

    @staticmethod
    def backward(ctx, grad):
        return _unreduce(grad, *ctx.args), None, None


class Mean(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        if ctx:
            ctx.args = x.shape, dims, keepdim
        return _make(_C.mean(x._a, dims, keepdim))

    @staticmethod
    def backward(ctx, grad):
        shape, dims, keepdim = ctx.args
        n = _count(shape, dims)
        return _unreduce(grad / builtins.max(n, 1), shape, dims, keepdim), None, None


def _cast_for(op, input, dtype):
    _check(op, input)
    return input if dtype is None else input.to(to_dtype(dtype, op))


def sum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A001
    """Sum over dim (None or () = all dims); bool/int64 inputs give int64."""
    x = _cast_for("sum", input, dtype)
    return _apply(Sum, x, _dims("sum", dim), bool(keepdim))


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over dim (floating inputs; an empty reduction gives nan)."""
    x = _cast_for("mean", input, dtype)
    return _apply(Mean, x, _dims("mean", dim), bool(keepdim))


# ---------------------------------------------------------------- var, std
def _var_dof(shape, dims, correction):
    dof = _count(shape, dims) - correction
    return dof if dof > 0 else 0.0


def _var_backward(grad_var, x, dims, correction, keepdim):
    """d var / dx = 2 (x - mean) / (n - correction), as PyTorch (inf when n <= correction)."""
    dof = _var_dof(x.shape, dims, correction)
    scale = 2.0 / dof if dof else math.inf
    centred = x - _make(_C.mean(x._a, dims, True))
    return _kept(grad_var, x.shape, dims, keepdim) * scale * centred


class Var(Function):
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        if ctx:
            ctx.save_for_backward(x)
            ctx.args = dims, correction, keepdim
        return _make(_C.var(x._a, dims, correction, keepdim))

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return (_var_backward(grad, x, *ctx.args),) + (None,) * 3


class Std(Function):
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        out = _make(_C.std(x._a, dims, correction, keepdim))
        if ctx:
            ctx.save_for_backward(x, out)
            ctx.args = dims, correction, keepdim
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        # d std = d var / (2 std); where std == 0 PyTorch gives 0, not nan.
        grad_var = where(out == 0, 0.0, grad / (2.0 * out))
        return (_var_backward(grad_var, x, *ctx.args),) + (None,) * 3


def _var_args(op, input, dim, unbiased, correction):
    _check(op, input)
    if isinstance(dim, bool):  # var(x, False): the legacy var(input, unbiased) overload
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased else 0
    if isinstance(correction, bool) or not isinstance(correction, numbers.Real):
        raise TypeError(f"{op}: correction must be a number, got {correction!r}")
    return _dims(op, dim), float(correction)


def var(input, dim=None, unbiased=True, keepdim=False, *, correction=None):
    """Variance with divisor max(0, n - correction); correction defaults to 1 (unbiased)."""
    dims, c = _var_args("var", input, dim, unbiased, correction)
    return _apply(Var, input, dims, c, bool(keepdim))


def std(input, dim=None, unbiased=True, keepdim=False, *, correction=None):
    """Standard deviation: sqrt(var(...))."""
    dims, c = _var_args("std", input, dim, unbiased, correction)
    return _apply(Std, input, dims, c, bool(keepdim))


# ---------------------------------------------------------------- amax, amin, max, min
class Extreme(Function):
    """amax/amin; backward splits the gradient evenly among the elements equal
    to the result (NaN results: among the NaNs)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, is_max):
        out = _make((_C.amax if is_max else _C.amin)(x._a, dims, keepdim))
        if ctx:
            ctx.save_for_backward(x, out)
            ctx.args = dims, keepdim
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        dims, keepdim = ctx.args
        best = _kept(out, x.shape, dims, keepdim)
        mask = (x == best) | (x.isnan() & best.isnan())
        count = _make(_C.sum(mask._a, dims, True)).to(grad.dtype)
        return where(mask, _kept(grad, x.shape, dims, keepdim) / count, 0.0), None, None, None


# One class per public op, so grad_fn names it as PyTorch does (AmaxBackward ...).
class Amax(Extreme):
    pass


class Amin(Extreme):
    pass


class Max(Extreme):
    pass


class Min(Extreme):
    pass


def amax(input, dim=(), keepdim=False):
    """Max over dim (() or None = all dims); NaN propagates."""
    _check("amax", input)
    return _apply(Amax, input, _dims("amax", dim), bool(keepdim), True)


def amin(input, dim=(), keepdim=False):
    """Min over dim (() or None = all dims); NaN propagates."""
    _check("amin", input)
    return _apply(Amin, input, _dims("amin", dim), bool(keepdim), False)


class TakeAlongDim(Function):
    """values = x gathered at `indices` along `dim`, computed natively with them
    (max/min along a dim); backward puts the gradient back at those indices."""

    @staticmethod
    def forward(ctx, x, values, indices, dim, keepdim):
        if ctx:
            ctx.args = x.shape, indices, dim, keepdim
        return _make(values)

    @staticmethod
    def backward(ctx, grad):
        shape, indices, dim, keepdim = ctx.args
        n = len(shape)
        if n == 0:
            return grad, None, None, None, None
        d = dim % n
        idx = _kept(indices, shape, [d], keepdim)
        # mask[..., i, ...] = (i == indices[..., 0, ...]), broadcast to the input's shape
        pos = _make(_C.reshape(_C.arange(0.0, float(shape[d]), 1.0, idx._a.dtype, idx._a.device),
                               [shape[d]] + [1] * (n - 1 - d)))
        g = where(pos == idx, _kept(grad, shape, [d], keepdim), 0.0)
        return g, None, None, None, None


def _return_type(name):
    t = collections.namedtuple(name, ["values", "indices"])
    t.__module__ = "deepcore.return_types"
    return t


max_return = _return_type("max")
min_return = _return_type("min")


def _max_min(op, is_max, input, dim, keepdim):
    _check(op, input)
    if isinstance(dim, Tensor):  # max(a, b): the elementwise maximum, as PyTorch
        return (maximum if is_max else minimum)(input, dim)
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError(f"{op}: expected reduction dim to be specified for an input with "
                               f"0 elements (shape {tuple(input.shape)}); specify the reduction "
                               "dim with the 'dim' argument")
        return _apply(Max if is_max else Min, input, None, False, is_max)
    d = _one_dim(op, dim)
    values, indices = (_C.max_dim if is_max else _C.min_dim)(input._a, d, bool(keepdim))
    indices = _make(indices)
    values = _apply(TakeAlongDim, input, values, indices, d, bool(keepdim))
    return (max_return if is_max else min_return)(values, indices)


def max(input, dim=None, keepdim=False):  # noqa: A001
    """max(x): the 0-d max; max(x, dim): (values, indices) along dim; max(x, y): maximum."""
    return _max_min("max", True, input, dim, keepdim)


def min(input, dim=None, keepdim=False):  # noqa: A001
    """min(x): the 0-d min; min(x, dim): (values, indices) along dim; min(x, y): minimum."""
    return _max_min("min", False, input, dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    """Index of the first max along dim (None: into the flattened tensor); NaN counts as max."""
    _check("argmax", input)
    d = None if dim is None else _one_dim("argmax", dim)
    return _make(_C.argmax(input._a, d, bool(keepdim)))


def argmin(input, dim=None, keepdim=False):
    """Index of the first min along dim (None: into the flattened tensor); NaN counts as min."""
    _check("argmin", input)
    d = None if dim is None else _one_dim("argmin", dim)
    return _make(_C.argmin(input._a, d, bool(keepdim)))


# ---------------------------------------------------------------- all, any
def all(input, dim=None, keepdim=False):  # noqa: A001
    """True where every element over dim is nonzero (bool result)."""
    _check("all", input)
    return _make(_C.all(input._a, _dims("all", dim), bool(keepdim)))


def any(input, dim=None, keepdim=False):  # noqa: A001
    """True where some element over dim is nonzero (bool result)."""
    _check("any", input)
    return _make(_C.any(input._a, _dims("any", dim), bool(keepdim)))


# ---------------------------------------------------------------- logsumexp, norm
class LogSumExp(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        a = x._a
        if x.numel() == 0:  # no max to shift by; the sum is 0 or empty
            out_k = _C.log(_C.sum(_C.exp(a), dims, True))
        else:
            # log sum exp(x) = m + log sum exp(x - m) with m the max, so exp never
            # overflows; an infinite m is replaced by 0 (all -inf gives -inf).
            m = _C.amax(a, dims, True)
            m = _C.where(_C.eq(_C.abs(m), _scalar(math.inf, m)), _scalar(0.0, m), m)
            out_k = _C.add(_C.log(_C.sum(_C.exp(_C.sub(a, m)), dims, True)), m)
        out = _make(out_k)
        if ctx:
            ctx.save_for_backward(x, out)
            ctx.keepdim = keepdim
        return out if keepdim else _make(_C.reshape(out_k, list(_reduced_shape(x.shape, dims))))

    @staticmethod
    def backward(ctx, grad):
        x, out_k = ctx.saved_tensors
        g = grad if ctx.keepdim else grad.reshape(out_k.shape)
        return g * (x - out_k).exp(), None, None


def _reduced_shape(shape, dims):
    red = _reduced(shape, dims)
    return tuple(s for i, s in enumerate(shape) if i not in red)


def logsumexp(input, dim=None, keepdim=False):
    """log(sum(exp(input), dim)), computed without overflow; integers become float32."""
    _check("logsumexp", input)
    x = input if input.dtype.is_floating_point else input.float()
    return _apply(LogSumExp, x, _dims("logsumexp", dim), bool(keepdim))


class Norm2(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        a = x._a
        out = _make(_C.sqrt(_C.sum(_C.mul(a, a), dims, keepdim)))
        if ctx:
            ctx.save_for_backward(x, out)
            ctx.args = dims, keepdim
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        dims, keepdim = ctx.args
        norm = _kept(out, x.shape, dims, keepdim)
        # d||x|| / dx = x / ||x||, taken as 0 at x = 0 (PyTorch's subgradient).
        scale = where(norm == 0, 0.0, _kept(grad, x.shape, dims, keepdim) / norm)
        return x * scale, None, None


def norm(input, p=2, dim=None, keepdim=False):
    """Vector p-norm over dim (None = all elements) for p in 1, 2 ('fro') and inf."""
    _check("norm", input)
    if not input.dtype.is_floating_point:
        raise TypeError(f"norm: expected a floating point tensor (float32 or float64), got "
                        f"{input.dtype}")
    dims = _dims("norm", dim)
    if p == "fro" or p == 2:
        return _apply(Norm2, input, dims, bool(keepdim))
    if p == 1:
        return sum(input.abs(), dims, keepdim)
    if p == math.inf:
        return amax(input.abs(), dims, keepdim)
    raise ValueError(f"norm: p must be 1, 2, inf or 'fro', got {p!r}")


__all__ = ["sum", "mean", "var", "std", "amax", "amin", "max", "min", "argmax", "argmin",
           "all", "any", "logsumexp", "norm"]

METHODS = {name: globals()[name] for name in __all__}
