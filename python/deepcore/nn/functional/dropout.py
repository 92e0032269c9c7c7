"""dc.nn.functional: dropout.

Inverted dropout: in training each element is zeroed with probability p and
the others are scaled by 1 / (1 - p), so the expected value is unchanged and
evaluation is the identity. The mask is drawn from dc's seeded Philox
generator (dc.manual_seed), counter-based, so it does not depend on the
number of threads; the backward pass redraws the same mask from the saved
(seed, offset) instead of storing it.
"""
import numbers

from ... import _C
from ..._tensor import Tensor
from ...autograd import grad_mode
from ...autograd.function import Function
from ...ops import elementwise as _ew

__all__ = ["dropout"]

_make = Tensor._make


class Dropout(Function):
    @staticmethod
    def forward(ctx, x, p):
        out, seed, offset = _C.dropout(x._a, p)
        if ctx:
            ctx.mask_args = p, seed, offset
        return _make(out)

    @staticmethod
    def backward(ctx, grad):
        p, seed, offset = ctx.mask_args
        return _make(_C.dropout_backward(grad._a, p, seed, offset)), None


def _check_p(p):
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"dropout: p must be a number, got {type(p).__name__}")
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return p


def dropout(input, p=0.5, training=True, inplace=False):
    """Zeroes elements with probability p and scales the rest by 1/(1-p) when
    training; returns input unchanged when not training or p == 0."""
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout: expected a Tensor as input, got {type(input).__name__}")
    p = _check_p(p)
    if not training or p == 0.0:
        return input
    if input._requires_grad and grad_mode.state.enabled:
        out = Dropout.apply(input, p)
    else:
        out = Dropout.forward(None, input, p)
    if inplace:
        _ew.copy_(input, out)
        return input
    return out
