"""Creation functions: dc.tensor, from_numpy, zeros, ones, full, arange, rand ..."""
import numbers
import operator

import numpy as np

from . import _C
from ._device import get_default_device, to_device
from ._dtype import BY_INDEX, float32, float64, int64, bool_, from_numpy_dtype, to_dtype
from ._tensor import Tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like",
           "ones_like", "empty_like", "full_like", "arange", "linspace", "eye", "rand", "randn",
           "randint", "rand_like", "randn_like", "manual_seed", "initial_seed", "seed",
           "get_rng_state", "set_rng_state", "get_num_threads", "set_num_threads"]


def _device(device):
    """The native device a creation function makes its tensor on."""
    return (get_default_device() if device is None else to_device(device))._c


def _finish(array, device, requires_grad):
    """The tensor of `array`, moved to `device` unless it was made there."""
    dev = _device(device)
    if array.device != dev:
        array = _C.to_device(array, dev)
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad = True
    return t


def _shape(op, size):
    """Accepts zeros(2, 3), zeros((2, 3)) and zeros([2, 3])."""
    if len(size) == 1 and not isinstance(size[0], numbers.Integral):
        size = size[0]
        if isinstance(size, Tensor):
            size = size.tolist()
    try:
        return [operator.index(s) for s in size]
    except TypeError:
        raise TypeError(f"{op}: size must be a sequence of ints, got {size!r}") from None


def _default(dtype, op, default=float32):
    return default if dtype is None else to_dtype(dtype, op)


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of ``data`` (nested lists, scalars, numpy arrays)."""
    if isinstance(data, Tensor):
        arr = data.detach()
        t = arr.to(dtype) if dtype is not None else arr
        out = Tensor._make(_C.to_dtype(t._a, t._a.dtype, True))
        return _finish(out._a, data.device if device is None else device, requires_grad)
    if isinstance(data, (np.ndarray, np.generic)):  # numpy scalars keep their dtype
        target = from_numpy_dtype(data.dtype, "tensor") if dtype is None else to_dtype(dtype)
    else:
        try:
            arr0 = np.asarray(data)
        except ValueError as e:
            raise ValueError(f"tensor: could not build a tensor from the data ({e})") from None
        if arr0.dtype == object:
            raise TypeError(f"tensor: could not infer a dtype from {type(data).__name__} data "
                            "(expected numbers, bools, nested lists of them or an array)")
        # Python floats default to float32, ints to int64, as PyTorch.
        target = (from_numpy_dtype(arr0.dtype, "tensor") if arr0.dtype.kind != "f" else float32) \
            if dtype is None else to_dtype(dtype)
        data = arr0
    arr = np.array(data, dtype=target._np, copy=True, order="C")
    return _finish(_C.from_numpy(arr), device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor) and (dtype is None or data.dtype is to_dtype(dtype)):
        return data if device is None else data.to(device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(a):
    """A tensor sharing memory with numpy array ``a`` (float32/64, int64, bool)."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(a).__name__}")
    return Tensor._make(_C.from_numpy(a))


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _finish(_C.empty(_shape("empty", size), _default(dtype, "empty")._c, _device(device)),
                   device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = bool_ if isinstance(fill_value, bool) else \
            int64 if isinstance(fill_value, numbers.Integral) else float32
    dtype = to_dtype(dtype, "full")
    return _finish(_C.full(_shape("full", (size,)), float(fill_value), dtype._c, _device(device)),
                   device, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _finish(_C.full(_shape("zeros", size), 0.0, _default(dtype, "zeros")._c,
                           _device(device)), device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _finish(_C.full(_shape("ones", size), 1.0, _default(dtype, "ones")._c,
                           _device(device)), device, requires_grad)


def _like(t, dtype, device):
    return (t.dtype if dtype is None else to_dtype(dtype)), (t.device if device is None else device)


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    dt, dev = _like(t, dtype, device)
    return zeros(t.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False):
    dt, dev = _like(t, dtype, device)
    return ones(t.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False):
    dt, dev = _like(t, dtype, device)
    return empty(t.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    dt, dev = _like(t, dtype, device)
    return full(t.shape, fill_value, dtype=dt, device=dev, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """``arange(end)`` or ``arange(start, end, step)``; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    vals = (start, end, step)
    if dtype is None:
        dtype = float32 if any(isinstance(v, float) for v in vals) else int64
    dtype = to_dtype(dtype, "arange")
    return _finish(_C.arange(float(start), float(end), float(step), dtype._c, _device(device)),
                   device, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    if steps < 0:
        raise ValueError(f"linspace: number of steps must be non-negative, got {steps}")
    dtype = _default(dtype, "linspace")
    return _finish(_C.from_numpy(np.linspace(start, end, int(steps), dtype=dtype._np)),
                   device, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    if n < 0 or (m is not None and m < 0):
        raise ValueError(f"eye: n and m must be non-negative, got {n} and {m}")
    dtype = _default(dtype, "eye")
    return _finish(_C.from_numpy(np.eye(n, m, dtype=dtype._np)), device, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False):
    return _finish(_C.rand(_shape("rand", size), _default(dtype, "rand")._c, _device(device)),
                   device, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False):
    return _finish(_C.randn(_shape("randn", size), _default(dtype, "randn")._c, _device(device)),
                   device, requires_grad)


def rand_like(t, dtype=None, device=None):
    dt, dev = _like(t, dtype, device)
    return rand(t.shape, dtype=dt, device=dev)


def randn_like(t, dtype=None, device=None):
    dt, dev = _like(t, dtype, device)
    return randn(t.shape, dtype=dt, device=dev)


def randint(low, high=None, size=None, dtype=None, device=None):
    """``randint(high, size)`` or ``randint(low, high, size)``: integers in [low, high)."""
    if size is None:
        if high is None or isinstance(high, numbers.Integral):
            raise TypeError("randint: missing the size argument, e.g. randint(0, 10, (3,))")
        low, high, size = 0, low, high
    return _finish(_C.randint(int(low), int(high), _shape("randint", (size,)),
                              _default(dtype, "randint", int64)._c, _device(device)), device,
                   False)


def manual_seed(seed):
    """Seeds the generator behind rand/randn/randint (and dropout)."""
    seed = int(seed)
    if seed < 0:
        seed &= (1 << 64) - 1
    _C.manual_seed(seed)


def initial_seed():
    return _C.initial_seed()


def seed():
    import random
    s = random.getrandbits(63)
    _C.manual_seed(s)
    return s


def get_rng_state():
    """The generator's (seed, offset), restorable with set_rng_state."""
    return tensor(list(_C.get_rng_state()), dtype=int64, device="cpu")


def set_rng_state(state):
    seed_, offset = (int(v) for v in (state.tolist() if isinstance(state, Tensor) else state))
    _C.set_rng_state(seed_, offset)


def get_num_threads():
    return _C.get_num_threads()


def set_num_threads(n):
    if not isinstance(n, numbers.Integral) or isinstance(n, bool):
        raise TypeError(f"set_num_threads: expected an int, got {n!r}")
    _C.set_num_threads(int(n))
