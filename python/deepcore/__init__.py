"""deepcore: a small deep learning library with a C++ core and PyTorch's API.

    import deepcore as dc
    x = dc.randn(3, 4, requires_grad=True)
    (x * x).sum().backward()
"""
from . import _C
from ._C import ShapeError
from ._dtype import dtype, float32, float64, int64, bool_ as bool  # noqa: A001
from ._device import device, get_default_device, set_default_device
from ._tensor import Tensor
from . import ops as _ops
from .ops import elementwise as _elementwise, shape as _shape, reduce as _reduce
from .ops import index as _index, linalg as _linalg
from .ops.elementwise import *  # noqa: F401,F403
from .ops.shape import *  # noqa: F401,F403
from .ops.reduce import *  # noqa: F401,F403
from .ops.index import *  # noqa: F401,F403
from .ops.linalg import *  # noqa: F401,F403
from ._creation import *  # noqa: F401,F403
from . import autograd, cuda, nn
from . import backends
from . import optim
from . import data, datasets
from .serialization import save, load
from .autograd import no_grad, enable_grad, set_grad_enabled, is_grad_enabled

float = float32  # noqa: A001
double = float64
long = int64

__version__ = "0.1.0"


def from_dlpack(ext):
    """A tensor sharing memory with any DLPack producer (numpy, PyTorch ...)."""
    if hasattr(ext, "__dlpack__"):
        capsule = ext.__dlpack__()
        # A GPU producer has queued its writes on its own stream, which ours does
        # not wait for: finish all work on the device before sharing the memory.
        if hasattr(ext, "__dlpack_device__") and ext.__dlpack_device__()[0] == 2:
            _C.cuda_synchronize()
    else:
        capsule = ext
    return Tensor._make(_C.from_dlpack(capsule))


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(t):
    return t.numel()
