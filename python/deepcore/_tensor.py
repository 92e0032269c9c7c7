"""dc.Tensor: a native array plus what autograd needs (requires_grad, grad, grad_fn).

Operators and op methods (``+``, ``sum``, ``reshape`` ...) are installed on the
class by ``deepcore.ops`` from each op family's ``METHODS`` table; this file
holds the tensor's own state, autograd entry points, conversions and printing.
"""
import weakref

import numpy as np

from . import _C
from ._device import device as _device_cls, from_native as _device_from_native, \
    to_device as _to_device
from ._dtype import BY_INDEX as _DTYPES, dtype as _dtype_cls, to_dtype as _to_dtype
from .autograd import grad_mode as _grad_mode
from .autograd.engine import run_backward


class Tensor:
    """An n-dimensional array with autograd (PyTorch's ``torch.Tensor``)."""

    # Class-level defaults keep creation cheap: a new tensor sets only _a.
    _requires_grad = False
    grad = None
    grad_fn = None
    _acc = None  # AccumulateGrad node of a leaf, made on first use
    _retains_grad = False
    __array_priority__ = 1000  # numpy defers to our reflected operators

    def __init__(self, *args, dtype=None, device=None, requires_grad=False):
        """``Tensor(data)`` copies data as float32 (PyTorch's default tensor type);
        ``Tensor(2, 3)`` is an uninitialised 2x3 tensor. Prefer ``dc.tensor``."""
        from ._creation import empty, tensor
        from ._dtype import float32
        dtype = float32 if dtype is None else dtype
        if args and all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            t = empty(*args, dtype=dtype, device=device)
        else:
            t = tensor(args[0] if args else [], dtype=dtype, device=device)
        self._a = t._a
        self.requires_grad = requires_grad

    @classmethod
    def _make(cls, array):
        t = object.__new__(cls)
        t._a = array
        return t

    # -- attributes
    @property
    def shape(self):
        return self._a.shape

    @property
    def dtype(self):
        return _DTYPES[self._a.dtype_index]

    @property
    def device(self):
        return _device_from_native(self._a.device)

    @property
    def ndim(self):
        return self._a.ndim

    def dim(self):
        return self._a.ndim

    def size(self, dim=None):
        shape = self._a.shape
        if dim is None:
            return shape
        n = len(shape)
        if not -max(n, 1) <= dim < max(n, 1):
            raise IndexError(f"size: dimension out of range (expected to be in range of "
                             f"[{-max(n, 1)}, {max(n, 1) - 1}], but got {dim})")
        return shape[dim] if n else 1

    def numel(self):
        return self._a.numel()

    def element_size(self):
        return self._a.itemsize

    def is_contiguous(self):
        return self._a.is_contiguous()

    def stride(self, dim=None):
        s = self._a.strides
        return s if dim is None else s[dim]

    def data_ptr(self):
        return self._a.data_ptr()

    @property
    def is_cuda(self):
        return self._a.device.type == 1

    # -- autograd
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        value = bool(value)
        if self.grad_fn is not None:
            if not value:
                raise RuntimeError("requires_grad: you can only change requires_grad of leaf "
                                   "tensors; use .detach() to get a tensor without a graph")
            return
        if value and not self.dtype.is_floating_point:
            raise RuntimeError(f"requires_grad: only tensors of floating point dtype can "
                               f"require gradients, got {self.dtype}")
        self._requires_grad = value

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def retains_grad(self):
        return self._retains_grad

    def retain_grad(self):
        """Keep ``.grad`` of this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad: can't retain_grad on a tensor that has "
                               "requires_grad=False")
        if self.grad_fn is not None and not self._retains_grad:
            self.grad_fn._retained = weakref.ref(self)
        self._retains_grad = True

    def backward(self, gradient=None, retain_graph=False):
        """Accumulates d(self)/d(leaf) into every leaf's ``.grad``."""
        if not self._requires_grad:
            raise RuntimeError("backward: element 0 of tensors does not require grad and does "
                               "not have a grad_fn")
        if gradient is None:
            if self.numel() != 1:
                raise RuntimeError(f"backward: grad can be implicitly created only for scalar "
                                   f"outputs, but the output has shape {self.shape}; pass "
                                   "gradient=")
            gradient = Tensor._make(_C.full(list(self.shape), 1.0, self._a.dtype, self._a.device))
        else:
            if not isinstance(gradient, Tensor):
                from ._creation import tensor
                gradient = tensor(gradient, dtype=self.dtype, device=self.device)
            if gradient.device != self.device:
                raise RuntimeError(f"backward: gradient is on device '{gradient.device}' but the "
                                   f"output is on '{self.device}'")
            if gradient.shape != self.shape:
                raise RuntimeError(f"backward: gradient has shape {gradient.shape} but the "
                                   f"output has shape {self.shape}")
            if gradient.dtype != self.dtype:
                raise TypeError(f"backward: gradient has dtype {gradient.dtype} but the output "
                                f"has dtype {self.dtype}")
            gradient = gradient.detach()
        run_backward(self, gradient, retain_graph)

    def detach(self):
        """The same data (shared memory) outside the graph."""
        return Tensor._make(self._a)

    def detach_(self):
        self.grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self):
        return Tensor._make(self._a)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data: expected a Tensor, got {type(value).__name__}")
        self._a = value._a

    # -- conversions
    def numpy(self, *, force=False):
        if self._requires_grad and _grad_mode.state.enabled and not force:
            raise RuntimeError("numpy: can't call numpy() on a tensor that requires grad; use "
                               "tensor.detach().numpy() instead")
        return _C.to_numpy(self._a)

    def __array__(self, dtype=None, copy=None):
        a = _C.to_numpy(self._a)
        if dtype is not None:
            a = a.astype(dtype, copy=False)
        return a.copy() if copy else a

    def item(self):
        return self._a.item()

    def tolist(self):
        return _C.to_numpy(self.detach().cpu()._a).tolist()

    def __float__(self):
        return float(self._scalar("float"))

    def __int__(self):
        return int(self._scalar("int"))

    def __index__(self):
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._a.item())

    def __bool__(self):
        return bool(self._scalar("bool"))

    def _scalar(self, what):
        if self.numel() != 1:
            raise RuntimeError(f"{what}: a Tensor with {self.numel()} elements cannot be "
                               "converted to a Python scalar (ambiguous)")
        return self._a.item()

    def to(self, *args, dtype=None, device=None, copy=False):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or with keywords."""
        for a in args:
            if isinstance(a, _dtype_cls):
                dtype = a
            elif isinstance(a, (str, _device_cls)):
                device = a
            elif isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            else:
                raise TypeError(f"to: expected a dtype, a device or a tensor, got {a!r}")
        out = self
        dtype = None if dtype is None or _to_dtype(dtype, "to") is self.dtype \
            else _to_dtype(dtype, "to")
        device = None if device is None or _to_device(device) == self.device \
            else _to_device(device)
        # Convert on the GPU side of a move: the faster device does the cast.
        if dtype is not None and (device is None or self.is_cuda):
            out = out._cast(dtype)
            dtype = None
        if device is not None:
            out = out._move(device)
        if dtype is not None:
            out = out._cast(dtype)
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else f"cuda:{int(device)}")

    def float(self):
        return self.to(BY_NAME["float32"])

    def double(self):
        return self.to(BY_NAME["float64"])

    def long(self):
        return self.to(BY_NAME["int64"])

    def bool(self):
        return self.to(BY_NAME["bool"])

    def type(self, dtype=None):
        return self.dtype if dtype is None else self.to(dtype)

    # -- python protocol
    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    __hash__ = object.__hash__

    def __repr__(self):
        from ._printing import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec):
        if self.ndim == 0 and spec:
            return format(self.item(), spec)
        return object.__format__(self, spec) if spec else repr(self)

    def __reduce_ex__(self, protocol):
        raise TypeError("deepcore tensors are not pickled; save them with dc.save")

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        if self._a.device.type != 0:
            # The consumer reads on its own stream: our queued kernels must be done.
            _C.cuda_synchronize()
        return _C.to_dlpack(self._a, max_version)

    def __dlpack_device__(self):
        d = self._a.device
        return (1, 0) if d.type == 0 else (2, d.index)


BY_NAME = {t.name: t for t in _DTYPES}
