"""Regularisation helpers that PyTorch leaves to the user."""
import numbers

from .._tensor import Tensor


def l1_penalty(params, lam):
    r"""The L1 penalty ``lam * sum_i sum(|theta_i|)`` over ``params``, as a
    differentiable 0-d tensor to add to the loss.

    PyTorch has no L1 option in its optimisers (``weight_decay`` is an L2
    penalty: it adds ``weight_decay * theta`` to the gradient, the gradient of
    ``weight_decay / 2 * ||theta||^2``). The usual way to get L1
    regularisation, which pushes weights to exactly zero and so gives sparse
    models, is to add the penalty to the loss before ``backward()``; its
    gradient is ``lam * sign(theta)`` (0 at theta = 0)::

        loss = criterion(model(x), y) + dc.optim.l1_penalty(model.parameters(), 1e-4)
        loss.backward()
        opt.step()

    Args:
        params: an iterable of tensors (e.g. ``model.parameters()``), or one tensor.
        lam (float): the penalty's weight, >= 0.

    Returns:
        A 0-d tensor, of the parameters' dtype, that requires grad when some
        parameter does (a 0-d float32 zero if ``params`` is empty).
    """
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real):
        raise TypeError(f"l1_penalty: lam must be a real number, got {type(lam).__name__}")
    if not lam >= 0:
        raise ValueError(f"l1_penalty: lam must be >= 0, got {lam}")
    if isinstance(params, Tensor):
        params = [params]
    total = None
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"l1_penalty: parameter {i} is a {type(p).__name__}, not a Tensor")
        if not p.dtype.is_floating_point:
            raise TypeError(f"l1_penalty: parameter {i} has dtype {p.dtype}; expected a "
                            "floating point tensor")
        term = p.abs().sum()
        if total is not None and term.dtype != total.dtype:
            raise TypeError(f"l1_penalty: parameter {i} has dtype {p.dtype} but the earlier "
                            f"parameters have dtype {total.dtype}")
        total = term if total is None else total + term
    if total is None:
        from .._creation import tensor
        return tensor(0.0)
    return total * float(lam)
