"""dtypes: dc.float32, dc.float64, dc.int64, dc.bool and their conversions."""
import builtins

import numpy as np

from . import _C


class dtype:
    """An element type, printed as PyTorch prints its own (``deepcore.float32``)."""

    __slots__ = ("name", "itemsize", "is_floating_point", "_c", "_np")

    def __init__(self, name, native, itemsize, is_floating_point, np_dtype):
        self.name = name
        self._c = native
        self.itemsize = itemsize
        self.is_floating_point = is_floating_point
        self._np = np.dtype(np_dtype)

    def __repr__(self):
        return f"deepcore.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


bool_ = dtype("bool", _C.DType.bool, 1, False, np.bool_)
int64 = dtype("int64", _C.DType.int64, 8, False, np.int64)
float32 = dtype("float32", _C.DType.float32, 4, True, np.float32)
float64 = dtype("float64", _C.DType.float64, 8, True, np.float64)

# Indexed by the native enum's value (Array.dtype_index).
BY_INDEX = (bool_, int64, float32, float64)
_NAMES = {"bool": bool_, "int64": int64, "long": int64, "float32": float32, "float": float32,
          "float64": float64, "double": float64}


def _by_name(name):
    return _NAMES[name]


def to_dtype(d, op="dtype"):
    """Accepts a dc.dtype, a numpy dtype or type, or a name; returns a dc.dtype."""
    if isinstance(d, dtype):
        return d
    if isinstance(d, str) and d in _NAMES:
        return _NAMES[d]
    if d is builtins.bool:
        return bool_
    if d is builtins.int:
        return int64
    if d is builtins.float:
        return float32
    try:
        nd = np.dtype(d)
    except TypeError:
        raise TypeError(f"{op}: {d!r} is not a dtype (expected dc.float32, dc.float64, "
                        "dc.int64 or dc.bool)") from None
    for t in BY_INDEX:
        if t._np == nd:
            return t
    raise TypeError(f"{op}: dtype {nd} is not supported (deepcore has float32, float64, "
                    "int64 and bool)")


def from_numpy_dtype(nd, op):
    """The dc.dtype a numpy array of dtype ``nd`` becomes when copied."""
    if nd.kind == "b":
        return bool_
    if nd.kind in "iu":
        return int64
    if nd.kind == "f":
        return float64 if nd.itemsize == 8 else float32
    raise TypeError(f"{op}: numpy dtype {nd} is not supported (deepcore has float32, "
                    "float64, int64 and bool)")
