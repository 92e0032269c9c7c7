"""dc.nn.functional: batch normalisation.

batch_norm normalises each channel (dim 1) of an (N, C) or (N, C, d1, ...)
input. In training it uses the batch's mean and biased variance and, when
running statistics are given, updates them in place (no graph):
running = (1 - momentum) * running + momentum * batch, with the unbiased
variance, as PyTorch. In evaluation it uses the running statistics. Forward
and backward (for input, weight and bias) are native passes. All operands
must be on one device (a RuntimeError names both otherwise); on a GPU the
statistics and the running-statistics update stay on the device, so a
training step never waits for it.
"""
import numbers

from ... import _C
from ..._tensor import Tensor
from ...autograd import grad_mode
from ...autograd.function import Function

__all__ = ["batch_norm"]

_make = Tensor._make


class BatchNorm(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        a = None if running_mean is None else running_mean._a
        v = None if running_var is None else running_var._a
        y, mean, invstd = _C.batch_norm(x._a, a, v, None if weight is None else weight._a,
                                        None if bias is None else bias._a, training, momentum,
                                        eps)
        if ctx:
            ctx.save_for_backward(x, weight, _make(mean), _make(invstd))
            ctx.training = training
        return _make(y)

    @staticmethod
    def backward(ctx, grad):
        x, weight, mean, invstd = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx, gw, gb = _C.batch_norm_backward(grad._a, x._a, None if weight is None else weight._a,
                                            mean._a, invstd._a, ctx.training, need[0], need[1],
                                            need[2])
        wrap = lambda g: None if g is None else _make(g)  # noqa: E731
        return wrap(gx), wrap(gw), wrap(gb), None, None, None, None, None


def _opt_tensor(name, t):
    if t is not None and not isinstance(t, Tensor):
        raise TypeError(f"batch_norm: expected {name} to be a Tensor or None, got "
                        f"{type(t).__name__}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """(x - mean) / sqrt(var + eps) * weight + bias per channel (dim 1)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"batch_norm: expected a Tensor as input, got {type(input).__name__}")
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _opt_tensor(name, t)
    for name, v in (("momentum", momentum), ("eps", eps)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"batch_norm: {name} must be a number, got {type(v).__name__}")
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t._requires_grad and grad_mode.state.enabled:
            raise RuntimeError(f"batch_norm: {name} must not require grad (it is updated in "
                               "place)")
    args = (input, weight, bias, running_mean, running_var, bool(training), float(momentum),
            float(eps))
    if grad_mode.state.enabled and any(t is not None and t._requires_grad
                                       for t in (input, weight, bias)):
        return BatchNorm.apply(*args)
    return BatchNorm.forward(None, *args)
