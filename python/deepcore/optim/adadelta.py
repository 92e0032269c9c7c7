"""Adadelta (PyTorch's torch.optim.Adadelta)."""
from .. import _C
from .optimizer import Optimizer, _check, _real


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), with PyTorch's options.

    Per parameter, at step t (PyTorch's algorithm)::

        g = -g if maximize;   g = g + weight_decay * p   (weight_decay != 0)
        v = rho * v + (1 - rho) * g^2
        d = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * d^2
        p = p - lr * d

    Args:
        params: tensors or parameter groups to optimise.
        lr (float): scale of the update (default 1.0).
        rho (float): decay of the running averages, in [0, 1] (default 0.9).
        eps (float): added inside the square roots (default 1e-6).
        weight_decay (float): L2 penalty (default 0).
        maximize (bool): maximise the objective instead of minimising it.

    State per parameter: ``step``, ``square_avg`` (v), ``acc_delta`` (u).
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyper(self, group):
        super()._check_hyper(group)
        if "rho" in group:
            rho = _real("rho", group["rho"], "Adadelta")
            _check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")

    def _update(self, group):
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        items = self._with_grads(group)
        for p, pa, ga, _ in items:
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["square_avg"] = self._make(self._zeros_like(pa))
                state["acc_delta"] = self._make(self._zeros_like(pa))
            state["step"] = int(state["step"]) + 1
            g = self._effective_grad(pa, ga, group["weight_decay"], group["maximize"])
            v, u = state["square_avg"]._a, state["acc_delta"]._a
            _C.optim_addcmul_(v, rho, g, g, 1.0 - rho)
            e = self._scalar(eps, v)
            std = _C.sqrt(_C.add(v, e))
            delta = _C.mul(_C.div(_C.sqrt(_C.add(u, e)), std), g)
            _C.optim_addcmul_(u, rho, delta, delta, 1.0 - rho)
            _C.optim_axpby_(pa, 1.0, delta, -lr)
        self._write_back(items)
