"""dc.nn.functional (``import deepcore.nn.functional as F``): the stateless
layer functions, grouped by family; each submodule's ``__all__`` is exported here."""
from ...ops.linalg import linear  # noqa: F401  (native, bias in the GEMM pass)
from .activation import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403

