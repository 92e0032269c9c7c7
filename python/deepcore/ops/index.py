"""Indexing: ``t[key]``, ``t[key] = value``, gather, index_select, masked_fill ...

A key is read the way PyTorch reads it. Ints, slices, None, Ellipsis and 0-d
integer tensors are *basic*: they make a view (select / slice / unsqueeze)
whose backward copies the gradient into the same view of zeros. Integer
arrays (tensors, lists, numpy arrays) and bool masks are *advanced*: after the
basic part, ``_C.index`` gathers a copy, whose backward scatter-adds the
gradient back (``index_put_`` with accumulate). A k-d mask covers k dims and
becomes k index arrays through nonzero; a Python bool adds a dim of size 1
(True) or 0 (False). Ints are applied first, as selects, so
``x[0, :, [0, 1]]`` has shape (3, 2) for x of shape (2, 3, 4), as in PyTorch
(numpy gives (2, 3)).
"""
import numbers
import operator

import numpy as np

from .. import _C
from .._dtype import bool_, int64
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.function import Function, sum_to
from .elementwise import _check_inplace

_make = Tensor._make

# The kinds of key items.
_INT, _SLICE, _NONE, _ELLIPSIS, _BOOL, _ARRAY, _MASK = range(7)

_INVALID = ("only integers, slices (`:`), ellipsis (`...`), None and int64 or bool tensors "
            "are valid indices (got {})")
# Index arrays of a Python bool: True picks the one element of a new size-1 dim.
_TRUE = _C.from_numpy(np.zeros(1, dtype=np.int64))
_FALSE = _C.from_numpy(np.zeros(0, dtype=np.int64))
_MAX_DIMS = 64
_BIG = 2 ** 62


def _apply(fn, x, *args):
    if x._requires_grad and grad_mode.state.enabled:
        return fn.apply(x, *args)
    return fn.forward(None, x, *args)


def _on_device(a, like):
    """Native array `a` moved to the device of native array `like` (if elsewhere)."""
    return a if a.device == like.device else _C.to_device(a, like.device)


def _scalar(value, like):
    """A 0-d native array holding `value` with `like`'s dtype, on its device."""
    return _on_device(_C.from_numpy(np.array(value, dtype=like.dtype._np)), like._a)


def _wrap_dim(op, dim, ndim):
    n = max(ndim, 1)
    dim = operator.index(dim)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return dim % n


def _need_index(op, index, name="index"):
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}: {name} must be a tensor, got {type(index).__name__}")
    if index.dtype is not int64:
        raise TypeError(f"{op}: expected an int64 {name} tensor, got {index.dtype.name}")


def _need_mask(op, mask):
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}: mask must be a tensor, got {type(mask).__name__}")
    if mask.dtype is not bool_:
        raise TypeError(f"{op}: expected a bool mask, got {mask.dtype.name}")


def _broadcast_shape(op, *shapes):
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise _C.ShapeError(f"{op}: shapes {', '.join(str(tuple(s)) for s in shapes)} cannot "
                            "be broadcast together") from None


# ------------------------------------------------------------- key parsing
def _key_items(key):
    if isinstance(key, tuple):
        return key
    # PyTorch (like numpy before 1.23) reads a short list holding sequences,
    # slices, tensors, None or Ellipsis as a tuple of indices.
    if isinstance(key, list) and len(key) < 32 and any(
            k is None or k is Ellipsis or isinstance(k, (Tensor, np.ndarray, list, tuple, range,
                                                         slice)) for k in key):
        return tuple(key)
    return (key,)


def _array_index(arr):
    """A numpy array as an index: int64 array or bool mask."""
    if arr.dtype.kind in "biu":
        dtype = np.bool_ if arr.dtype.kind == "b" else np.int64
        return _tensor_item(_make(_C.from_numpy(np.array(arr, dtype=dtype, order="C"))))
    raise IndexError(f"arrays used as indices must be of integer or bool type, got {arr.dtype}")


def _tensor_item(t):
    if t.dtype is int64:
        return (_INT, int(t._a.item())) if t.ndim == 0 else (_ARRAY, t)
    if t.dtype is bool_:
        return (_BOOL, bool(t._a.item())) if t.ndim == 0 else (_MASK, t)
    raise IndexError(f"tensors used as indices must be int64 or bool tensors, got {t.dtype.name}")


def _slice_item(s):
    def bound(v):
        if v is None:
            return None
        try:
            v = operator.index(v)
        except TypeError:
            raise TypeError("slice indices must be integers or None or have an __index__ "
                            f"method (got {type(v).__name__})") from None
        return max(min(v, _BIG), -_BIG)  # beyond any size: clamps like any other bound
    start, stop, step = bound(s.start), bound(s.stop), bound(s.step)
    if step is None:
        step = 1
    if step == 0:
        raise ValueError("slice step cannot be zero")
    if step < 0:
        raise ValueError(f"step must be greater than zero (got {step}); negative steps are "
                         "not supported, as in PyTorch (use flip)")
    return _SLICE, (start, stop, step)


def _item(k):
    if k is None:
        return _NONE, None
    if k is Ellipsis:
        return _ELLIPSIS, None
    if isinstance(k, (bool, np.bool_)):
        return _BOOL, bool(k)
    if isinstance(k, numbers.Integral):
        return _INT, int(k)
    if isinstance(k, slice):
        return _slice_item(k)
    if isinstance(k, Tensor):
        return _tensor_item(k)
    if isinstance(k, np.ndarray):
        return _array_index(k)
    if isinstance(k, (list, tuple, range)):
        try:
            arr = np.asarray(k)
        except ValueError:
            raise IndexError(f"a sequence used as an index must be rectangular, got {k!r}") \
                from None
        if arr.size == 0:
            arr = arr.astype(np.int64)
        return _array_index(arr)
    if hasattr(type(k), "__index__"):
        return _INT, operator.index(k)
    raise IndexError(_INVALID.format(type(k).__name__))


def _parse(x, key):
    """Applies the basic part of key to x's array.

    Returns the view, the ops that rebuild it from an array of x's shape (for
    backward), and the advanced part: {dim of the view: int64 index array}.
    """
    items = [_item(k) for k in _key_items(key)]
    specified, ellipsis = 0, False
    for kind, v in items:
        if kind in (_INT, _SLICE, _ARRAY):
            specified += 1
        elif kind == _MASK:
            specified += v.ndim
        elif kind == _ELLIPSIS:
            if ellipsis:
                raise IndexError("an index can only have a single ellipsis ('...')")
            ellipsis = True
    ndim = x.ndim
    if specified > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim} "
                         f"({specified} given)")
    a, ops, adv, dim = x._a, [], {}, 0
    for kind, v in items:
        if kind == _INT:
            if not -_BIG <= v < _BIG:  # beyond int64: report it as PyTorch would
                raise IndexError(f"index {v} is out of bounds for dimension {dim} with size "
                                 f"{a.shape[dim]}")
            a = _C.select(a, dim, v)
            ops.append((_C.select, dim, v))
        elif kind == _SLICE:
            if v != (None, None, 1):
                a = _C.slice(a, dim, *v)
                ops.append((_C.slice, dim, *v))
            dim += 1
        elif kind == _NONE or kind == _BOOL:
            a = _C.unsqueeze(a, dim)
            ops.append((_C.unsqueeze, dim))
            if kind == _BOOL:
                adv[dim] = _TRUE if v else _FALSE
            dim += 1
        elif kind == _ELLIPSIS:
            dim += ndim - specified
        elif kind == _ARRAY:
            adv[dim] = v._a
            dim += 1
        else:  # a k-d mask covers k dims: k index arrays from nonzero
            k = v.ndim
            have = tuple(a.shape[dim:dim + k])
            if have != v.shape:
                raise IndexError(f"the shape of the mask {v.shape} does not match the shape "
                                 f"{have} of the indexed tensor {tuple(a.shape)} at dims "
                                 f"{dim}..{dim + k - 1}")
            nz = _C.nonzero(v._a)
            for j in range(k):
                adv[dim + j] = _C.select(nz, 1, j)
            dim += k
    if a.ndim > _MAX_DIMS:
        raise IndexError(f"too many dimensions: the result would have {a.ndim} "
                         f"(at most {_MAX_DIMS} are supported)")
    return a, ops, adv


def _index_list(adv):
    return [adv.get(d) for d in range(max(adv) + 1)]


# ----------------------------------------------------------- getitem/setitem
class BasicIndex(Function):
    """The view made by ints, slices and None; backward fills the same view of zeros."""

    @staticmethod
    def forward(ctx, x, view, ops):
        if ctx:
            ctx.shape, ctx.ops = x.shape, ops
        return _make(view)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.ops:
            return grad, None, None
        g = _C.full(list(ctx.shape), 0.0, grad._a.dtype, grad._a.device)
        v = g
        for op, *args in ctx.ops:
            v = op(v, *args)
        _C.copy_(v, grad._a)
        return _make(g), None, None


class AdvancedIndex(Function):
    """x[indices] with int64 index arrays (one per leading dim, or None)."""

    @staticmethod
    def forward(ctx, x, indices):
        if ctx:
            ctx.shape = x.shape
            ctx.indices = [(i, i.version) if i is not None else None for i in indices]
        return _make(_C.index(x._a, indices))

    @staticmethod
    def backward(ctx, grad):
        indices = []
        for entry in ctx.indices:
            if entry is not None and entry[0].version != entry[1]:
                raise RuntimeError("AdvancedIndex: an index tensor saved for backward was "
                                   "modified by an in-place operation; gradients would be wrong")
            indices.append(None if entry is None else entry[0])
        g = _C.full(list(ctx.shape), 0.0, grad._a.dtype, grad._a.device)
        _C.index_put_(g, indices, grad._a, True)
        return _make(g), None


def __getitem__(self, key):
    track = self._requires_grad and grad_mode.state.enabled
    if type(key) is int and not track and self._a.ndim and -_BIG <= key < _BIG:  # the common t[i], e.g. iteration
        return _make(_C.select(self._a, 0, key))
    a, ops, adv = _parse(self, key)
    if not adv:
        return BasicIndex.apply(self, a, ops) if track else _make(a)
    indices = _index_list(adv)
    if not track:
        return _make(_C.index(a, indices))
    base = BasicIndex.apply(self, a, ops) if ops else self
    return AdvancedIndex.apply(base, indices)


def _value(x, value, op):
    """The native array to write into x: a tensor (leading size-1 dims dropped, as
    PyTorch; a CPU tensor is copied to x's device, as copy_ would) or a number
    converted to x's dtype, on x's device."""
    if isinstance(value, Tensor):
        if value._requires_grad and grad_mode.state.enabled:
            raise RuntimeError(f"{op}: assigning a tensor that requires grad in place would "
                               "lose its gradient; use .detach() or dc.no_grad()")
        shape, k = value.shape, 0
        while k < len(shape) and shape[k] == 1:
            k += 1
        v = _C.reshape(value._a, list(shape[k:])) if k else value._a
        return _on_device(v, x._a) if v.device.type == 0 else v
    if isinstance(value, (bool, np.bool_, numbers.Real)):
        return _scalar(value, x)
    raise TypeError(f"{op}: can't assign a {type(value).__name__} to a tensor (expected a "
                    "number or a tensor)")


def __setitem__(self, key, value):
    _check_inplace(self, "setitem")
    v = _value(self, value, "setitem")
    a, _, adv = _parse(self, key)
    if adv:
        _C.index_put_(a, _index_list(adv), v, False)
    else:
        _C.copy_(a, v)


def _mask_indices(op, indices):
    """index_put_'s indices (int64 tensors or bool masks) as native index arrays."""
    if isinstance(indices, Tensor) or not isinstance(indices, (tuple, list)):
        raise TypeError(f"{op}: indices must be a tuple of tensors, got "
                        f"{type(indices).__name__}")
    out = []
    for t in indices:
        if t is None:
            out.append(None)
        elif not isinstance(t, Tensor):
            raise TypeError(f"{op}: indices must be tensors or None, got {type(t).__name__}")
        elif t.dtype is bool_:
            nz = _C.nonzero(t._a)
            out.extend(_C.select(nz, 1, j) for j in range(t.ndim))
        else:
            out.append(t._a)
    return out


def index_put_(self, indices, values, accumulate=False):
    """self[indices] = values (or += with accumulate), in place; indices is a tuple."""
    _check_inplace(self, "index_put_")
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put_: values must be a tensor, got {type(values).__name__}")
    if values._requires_grad and grad_mode.state.enabled:
        raise RuntimeError("index_put_: values that require grad would lose their gradient; "
                           "use .detach() or dc.no_grad()")
    _C.index_put_(self._a, _mask_indices("index_put_", indices), values._a, bool(accumulate))
    return self


# ------------------------------------------------------------ gather family
class Gather(Function):
    @staticmethod
    def forward(ctx, x, dim, index):
        if ctx:
            ctx.shape, ctx.dim = x.shape, dim
            ctx.save_for_backward(index)
        return _make(_C.gather(x._a, dim, index._a))

    @staticmethod
    def backward(ctx, grad):
        index, = ctx.saved_tensors
        g = _C.full(list(ctx.shape), 0.0, grad._a.dtype, grad._a.device)
        _C.scatter_add_(g, ctx.dim, index._a, grad._a)
        return _make(g), None, None


def gather(input, dim, index):
    """out[i][j] = input[index[i][j]][j] (dim 0), and likewise along other dims."""
    _need_index("gather", index)
    return _apply(Gather, input, dim, index)


class ScatterAdd(Function):
    @staticmethod
    def forward(ctx, x, dim, index, src):
        if ctx:
            ctx.dim, ctx.src_shape = dim, src.shape
            ctx.save_for_backward(index)
        out = _C.to_dtype(x._a, x._a.dtype, True)
        _C.scatter_add_(out, dim, index._a, src._a)
        return _make(out)

    @staticmethod
    def backward(ctx, grad):
        gx = grad if ctx.needs_input_grad[0] else None
        gsrc = None
        if ctx.needs_input_grad[3]:
            index, = ctx.saved_tensors
            picked = _C.gather(grad._a, ctx.dim, index._a)
            if tuple(picked.shape) == tuple(ctx.src_shape):
                gsrc = _make(picked)
            else:  # src larger than index: its other elements get no gradient
                g = _C.full(list(ctx.src_shape), 0.0, grad._a.dtype, grad._a.device)
                v = g
                for d, n in enumerate(picked.shape):
                    v = _C.slice(v, d, 0, n, 1)
                _C.copy_(v, picked)
                gsrc = _make(g)
        return gx, None, None, gsrc


def scatter_add(input, dim, index, src):
    """A copy of input with src added at the positions of index along dim."""
    _need_index("scatter_add", index)
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add: src must be a tensor, got {type(src).__name__}")
    if grad_mode.state.enabled and (input._requires_grad or src._requires_grad):
        return ScatterAdd.apply(input, dim, index, src)
    return ScatterAdd.forward(None, input, dim, index, src)


def scatter_add_(self, dim, index, src):
    """In-place scatter_add."""
    _check_inplace(self, "scatter_add_")
    _need_index("scatter_add_", index)
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add_: src must be a tensor, got {type(src).__name__}")
    _C.scatter_add_(self._a, dim, index._a, src._a)
    return self


def take_along_dim(input, indices, dim=None):
    """Picks values along dim at indices (negative ones count from the end); the other
    dims broadcast. Without dim, input and indices are flattened."""
    _need_index("take_along_dim", indices, "indices")
    from .shape import expand, reshape
    if dim is None:
        input, indices, d = reshape(input, -1), reshape(indices, -1), 0
    else:
        if input.ndim != indices.ndim:
            raise _C.ShapeError(f"take_along_dim: input and indices should have the same "
                                f"number of dimensions, but got {input.ndim} dimensions for "
                                f"input, and {indices.ndim} dimensions for indices")
        d = _wrap_dim("take_along_dim", dim, input.ndim)
        if input.ndim:
            ones = [list(s) for s in (input.shape, indices.shape)]
            for s in ones:
                s[d] = 1
            b = list(_broadcast_shape("take_along_dim", *ones))
            in_shape, idx_shape = list(b), list(b)
            in_shape[d], idx_shape[d] = input.shape[d], indices.shape[d]
            if list(input.shape) != in_shape:
                input = expand(input, in_shape)
            if list(indices.shape) != idx_shape:
                indices = expand(indices, idx_shape)
    n = input.shape[d] if input.ndim else 1
    idx = indices._a
    idx = _C.where(_C.lt(idx, _scalar(0, indices)), _C.add(idx, _scalar(n, indices)), idx)
    return gather(input, d, _make(idx))


def index_select(input, dim, index):
    """The slices of input at the positions index (0-d or 1-d) along dim."""
    _need_index("index_select", index)
    if index.ndim > 1:
        raise IndexError(f"index_select: index must be a 0-d or 1-d tensor, got shape "
                         f"{index.shape}")
    d = _wrap_dim("index_select", dim, input.ndim)
    idx = index._a if index.ndim else _C.reshape(index._a, [1])
    if idx.numel():
        lo = _C.amin(idx, None, False).item()  # one value read back, on any device
        if lo < 0:
            raise IndexError(f"index_select: index {lo} is out of range (indices must be in "
                             f"[0, {input.shape[d] if input.ndim else 1}))")
    if input.ndim == 0:
        if idx.numel() != 1:
            raise IndexError(f"index_select: a 0-d tensor takes exactly one index, got "
                             f"{idx.numel()}")
        from .shape import reshape
        return reshape(_apply(AdvancedIndex, reshape(input, 1), [idx]), ())
    return _apply(AdvancedIndex, input, [None] * d + [idx])


# ------------------------------------------------------------- masks
class MaskedFill(Function):
    @staticmethod
    def forward(ctx, x, mask, value):
        if ctx:
            ctx.shape = x.shape
            ctx.value_dtype = value.dtype if isinstance(value, Tensor) else None
            ctx.save_for_backward(mask)
        if isinstance(value, Tensor):
            v = _C.to_dtype(value._a, x._a.dtype)
        else:
            v = _scalar(value, x)
        return _make(_C.where(mask._a, v, x._a))

    @staticmethod
    def backward(ctx, grad):
        mask, = ctx.saved_tensors
        zero = _scalar(0, grad)
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = sum_to(_make(_C.where(mask._a, zero, grad._a)), ctx.shape)
        if ctx.needs_input_grad[2]:
            gv = sum_to(_make(_C.where(mask._a, grad._a, zero)), ())
            if gv.dtype is not ctx.value_dtype:
                gv = gv.to(ctx.value_dtype)
        return gx, None, gv


def masked_fill(input, mask, value):
    """input with value where mask (broadcast) is True; value a number or a 0-d tensor."""
    _need_mask("masked_fill", mask)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise _C.ShapeError(f"masked_fill: only supports a 0-dimensional value tensor, "
                                f"but got shape {value.shape}")
    elif not isinstance(value, (bool, np.bool_, numbers.Real)):
        raise TypeError(f"masked_fill: value must be a number or a 0-d tensor, got "
                        f"{type(value).__name__}")
    _broadcast_shape("masked_fill", input.shape, mask.shape)
    needs = input._requires_grad or (isinstance(value, Tensor) and value._requires_grad)
    if needs and grad_mode.state.enabled:
        return MaskedFill.apply(input, mask, value)
    return MaskedFill.forward(None, input, mask, value)


def masked_fill_(self, mask, value):
    """In-place masked_fill; mask must broadcast to self's shape."""
    _check_inplace(self, "masked_fill_")
    if isinstance(value, Tensor):
        value = value.detach()
    out = masked_fill(self.detach(), mask, value)
    if out.shape != self.shape:
        raise _C.ShapeError(f"masked_fill_: mask of shape {mask.shape} does not broadcast to "
                            f"the tensor's shape {self.shape}")
    _C.copy_(self._a, out._a)
    return self


def masked_select(input, mask):
    """The elements of input (broadcast with mask) where mask is True, as a 1-d tensor."""
    _need_mask("masked_select", mask)
    from .shape import expand
    shape = _broadcast_shape("masked_select", input.shape, mask.shape)
    if input.shape != shape:
        input = expand(input, list(shape))
    if mask.shape != shape:
        mask = _make(_C.expand(mask._a, list(shape)))
    return __getitem__(input, mask)  # a 0-d mask gives shape (1,) or (0,)


def nonzero(input, *, as_tuple=False):
    """Positions of the non-zero elements: (n, ndim) int64, or a tuple of ndim columns."""
    if as_tuple and input.ndim == 0:
        input = _make(_C.reshape(input._a, [1]))
    out = _C.nonzero(input._a)
    if not as_tuple:
        return _make(out)
    return tuple(_make(_C.contiguous(_C.select(out, 1, j))) for j in range(input.ndim))


def argwhere(input):
    return nonzero(input)


__all__ = ["gather", "scatter_add", "take_along_dim", "index_select", "masked_fill",
           "masked_select", "nonzero", "argwhere"]

METHODS = {name: globals()[name] for name in __all__}
METHODS.update({"__getitem__": __getitem__, "__setitem__": __setitem__,
                "index_put_": index_put_, "scatter_add_": scatter_add_,
                "masked_fill_": masked_fill_})
