"""The op families. Each module defines Functions, public functions (its
``__all__``, exported as ``dc.<name>``) and ``METHODS``, installed here on
Tensor as methods and operators."""
from .._tensor import Tensor
from . import elementwise, index, linalg, reduce, shape

FAMILIES = (elementwise, shape, reduce, index, linalg)

for _family in FAMILIES:
    for _name, _fn in _family.METHODS.items():
        setattr(Tensor, _name, _fn)
