"""dc.nn.functional (``import deepcore.nn.functional as F``): the stateless
layer functions, grouped by family; each submodule's ``__all__`` is exported here."""
from .activation import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403


def linear(input, weight, bias=None):
    """input @ weight.T + bias (composed for now; the native fused op comes with the GEMM)."""
    out = input @ weight.transpose(-1, -2) if weight.ndim == 2 else input @ weight
    return out if bias is None else out + bias
