"""dc.nn.Parameter: a tensor that a Module registers as a learnable parameter."""
from ..ops.elementwise import _C  # noqa: F401  (keeps the import order simple)
from .._tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor with requires_grad=True (by default) that modules register."""

    def __init__(self, data=None, requires_grad=True):
        from .._creation import empty
        data = empty(0) if data is None else data
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter: expected a Tensor, got {type(data).__name__}")
        self._a = data._a
        self.requires_grad = requires_grad

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
