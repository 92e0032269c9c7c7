"""dc.nn.utils: gradient clipping and flat parameter vectors."""
import math

from .. import _creation
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..ops.shape import stack as _stack

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters"]


def _params(parameters):
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


@no_grad()
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scales all gradients together so their joint norm is at most max_norm.

    Returns the total norm before clipping (a 0-d tensor), as PyTorch.
    """
    grads = [p.grad for p in _params(parameters) if p.grad is not None]
    if not grads:
        return _creation.tensor(0.0)
    norm_type = float(norm_type)
    # Per-gradient norms stay on the device; one .item() reads the total.
    if norm_type == math.inf:
        total = _stack([g.abs().max().double() for g in grads]).max().item()
    else:
        total = _stack([(g.abs() ** norm_type).sum().double() for g in grads]).sum().item()
        total **= 1 / norm_type
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                           "gradients is non-finite, so it cannot be clipped")
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for g in grads:
            g.mul_(coef)
    return _creation.tensor(total, dtype=grads[0].dtype, device=grads[0].device)


@no_grad()
def clip_grad_value_(parameters, clip_value):
    """Clamps every gradient element to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for p in _params(parameters):
        if p.grad is not None:
            p.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-D tensor."""
    from ..ops.shape import cat
    return cat([p.reshape(-1) for p in _params(parameters)])


@no_grad()
def vector_to_parameters(vec, parameters):
    """Copies consecutive slices of vec into the parameters (the inverse)."""
    if not isinstance(vec, Tensor) or vec.ndim != 1:
        raise TypeError("vector_to_parameters: expected a 1-D tensor")
    at = 0
    params = _params(parameters)
    total = sum(p.numel() for p in params)
    if vec.numel() != total:
        raise ValueError(f"vector_to_parameters: vector has {vec.numel()} elements but the "
                         f"parameters have {total}")
    for p in params:
        n = p.numel()
        p.copy_(vec[at:at + n].reshape(p.shape))
        at += n
