"""Shape ops: reshape/view, flatten, squeeze/unsqueeze, expand, transpose,
permute, cat, stack, contiguous. Most are views of the input's storage; the
backward of a view is the inverse view (or a sum, for expand)."""
import numbers

from .. import _C
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.function import Function, sum_to

_make = Tensor._make


def _apply(fn, x, *args):
    if x._requires_grad and grad_mode.state.enabled:
        return fn.apply(x, *args)
    return fn.forward(None, x, *args)


def _sizes(op, size):
    """Accepts f(2, 3), f((2, 3)) and f([2, 3])."""
    if size and all(type(s) is int for s in size):
        return list(size)
    if len(size) == 1 and not isinstance(size[0], numbers.Integral):
        size = size[0]
    try:
        out = [int(s) for s in size]
    except TypeError:
        raise TypeError(f"{op}: expected a sequence of ints, got {size!r}") from None
    if any(isinstance(s, (float, bool)) for s in size):
        raise TypeError(f"{op}: expected ints, got {tuple(size)!r}")
    return out


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        if ctx:
            ctx.shape = x.shape
        return _make(_C.reshape(x._a, shape))

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


class View(Function):
    @staticmethod
    def forward(ctx, x, shape):
        if ctx:
            ctx.shape = x.shape
        return _make(_C.view(x._a, shape))

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


def reshape(input, *shape):
    return _apply(Reshape, input, _sizes("reshape", shape))


def view(input, *shape):
    return _apply(View, input, _sizes("view", shape))


def view_as(input, other):
    return view(input, other.shape)


def reshape_as(input, other):
    return reshape(input, other.shape)


def flatten(input, start_dim=0, end_dim=-1):
    if input.ndim == 0:
        return reshape(input, 1)
    return _apply(Reshape, input, list(_C.flatten(input._a, start_dim, end_dim).shape))


def unflatten(input, dim, sizes):
    shape = list(input.shape)
    d = dim + input.ndim if dim < 0 else dim
    return reshape(input, shape[:d] + list(sizes) + shape[d + 1:])


class Transpose(Function):
    @staticmethod
    def forward(ctx, x, d0, d1):
        if ctx:
            ctx.dims = d0, d1
        return _make(_C.transpose(x._a, d0, d1))

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(*ctx.dims), None, None


def transpose(input, dim0, dim1):
    return _apply(Transpose, input, dim0, dim1)


swapaxes = transpose


def t(input):
    if input.ndim > 2:
        raise ValueError(f"t: expects a tensor with <= 2 dimensions, but it has {input.ndim}")
    return transpose(input, 0, 1) if input.ndim == 2 else input


class Permute(Function):
    @staticmethod
    def forward(ctx, x, dims):
        out = _make(_C.permute(x._a, dims))
        if ctx:
            n = x.ndim
            inverse = [0] * n
            for i, d in enumerate(dims):
                inverse[d % n] = i
            ctx.inverse = inverse
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad.permute(ctx.inverse), None


def permute(input, *dims):
    return _apply(Permute, input, _sizes("permute", dims))


def _T(self):
    """Reverses all dimensions (the transpose of a matrix)."""
    return permute(self, list(range(self.ndim - 1, -1, -1)))


def _mT(self):
    return transpose(self, -2, -1)


class Expand(Function):
    @staticmethod
    def forward(ctx, x, shape):
        if ctx:
            ctx.shape = x.shape
        return _make(_C.expand(x._a, shape))

    @staticmethod
    def backward(ctx, grad):
        return sum_to(grad, ctx.shape), None


def expand(input, *sizes):
    return _apply(Expand, input, _sizes("expand", sizes))


def expand_as(input, other):
    return expand(input, other.shape)


def broadcast_to(input, shape):
    return expand(input, shape)


def squeeze(input, dim=None):
    dims = None if dim is None else ([dim] if isinstance(dim, numbers.Integral) else list(dim))
    return _apply(Reshape, input, list(_C.squeeze(input._a, dims).shape))


def unsqueeze(input, dim):
    return _apply(Reshape, input, list(_C.unsqueeze(input._a, dim).shape))


class Contiguous(Function):
    @staticmethod
    def forward(ctx, x):
        return _make(_C.contiguous(x._a))

    @staticmethod
    def backward(ctx, grad):
        return grad


def contiguous(input):
    if input._a.is_contiguous():
        return input
    return _apply(Contiguous, input)


class Cat(Function):
    @staticmethod
    def forward(ctx, dim, *tensors):
        out = _make(_C.cat([x._a for x in tensors], dim))
        if ctx:
            ctx.dim = dim if dim >= 0 else dim + out.ndim
            ctx.sizes = [x.shape[ctx.dim] for x in tensors]
        return out

    @staticmethod
    def backward(ctx, grad):
        grads, at = [None], 0
        for need, n in zip(ctx.needs_input_grad[1:], ctx.sizes):
            grads.append(_make(_C.slice(grad._a, ctx.dim, at, at + n, 1)) if need else None)
            at += n
        return tuple(grads)


def _tensor_list(op, tensors):
    if isinstance(tensors, Tensor) or not hasattr(tensors, "__iter__"):
        raise TypeError(f"{op}: expected a sequence of tensors, got {type(tensors).__name__}")
    tensors = list(tensors)
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}: expected a sequence of tensors, but element {i} is "
                            f"{type(x).__name__}")
    return tensors


def cat(tensors, dim=0):
    tensors = _tensor_list("cat", tensors)
    if grad_mode.state.enabled and any(x._requires_grad for x in tensors):
        return Cat.apply(dim, *tensors)
    return Cat.forward(None, dim, *tensors)


concat = concatenate = cat


def stack(tensors, dim=0):
    tensors = _tensor_list("stack", tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    for i, x in enumerate(tensors):
        if x.shape != tensors[0].shape:
            raise _C.ShapeError(f"stack: expects each tensor to be equal size, but got "
                                f"{tensors[0].shape} at entry 0 and {x.shape} at entry {i}")
    n = tensors[0].ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"stack: dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return cat([unsqueeze(x, dim) for x in tensors], dim)


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    size = input.shape[dim]
    step = -(-size // chunks)
    return split(input, step, dim) if size else (input,)


class Narrow(Function):
    """input[..., start:start+length, ...] along dim (a view)."""

    @staticmethod
    def forward(ctx, x, dim, start, length):
        if ctx:
            ctx.args = x.shape, x.dtype, dim, start, length
        return _make(_C.slice(x._a, dim, start, start + length, 1))

    @staticmethod
    def backward(ctx, grad):
        shape, dtype, dim, start, length = ctx.args
        g = _C.full(list(shape), 0.0, grad._a.dtype, grad._a.device)
        _C.copy_(_C.slice(g, dim, start, start + length, 1), grad._a)
        return _make(g), None, None, None


def narrow(input, dim, start, length):
    n = input.shape[dim] if input.ndim else 0
    if start < 0:
        start += n
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise IndexError(f"narrow: start ({start}) + length ({length}) exceeds dimension size "
                         f"({n})")
    return _apply(Narrow, input, dim, start, length)


def split(input, split_size_or_sections, dim=0):
    size = input.shape[dim]
    if isinstance(split_size_or_sections, numbers.Integral):
        step = int(split_size_or_sections)
        if step <= 0:
            raise ValueError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, size - s) for s in range(0, size, step)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != size:
            raise _C.ShapeError(f"split: sections {sizes} do not add up to the size {size} "
                                f"of dim {dim}")
    out, at = [], 0
    for n in sizes:
        out.append(narrow(input, dim, at, n))
        at += n
    return tuple(out)


__all__ = ["reshape", "view", "view_as", "reshape_as", "flatten", "unflatten", "transpose",
           "swapaxes", "t", "permute", "expand", "expand_as", "broadcast_to", "squeeze",
           "unsqueeze", "contiguous", "narrow", "cat", "concat", "concatenate", "stack", "chunk", "split"]

METHODS = {name: globals()[name] for name in __all__
           if name not in ("cat", "concat", "concatenate", "stack")}
METHODS["T"] = property(_T)
METHODS["mT"] = property(_mT)
