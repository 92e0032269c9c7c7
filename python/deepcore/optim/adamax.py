"""Adamax (PyTorch's torch.optim.Adamax)."""
from .. import _C
from .optimizer import Optimizer


class Adamax(Optimizer):
    r"""Adamax, the infinity-norm variant of Adam (Kingma & Ba, 2014).

    Per parameter, at step t (PyTorch's algorithm)::

        g = -g if maximize;   g = g + weight_decay * p   (weight_decay != 0)
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1^t) * m / u

    Args:
        params: tensors or parameter groups to optimise.
        lr (float): learning rate (default 2e-3).
        betas (tuple): (beta1, beta2), each in [0, 1) (default (0.9, 0.999)).
        eps (float): added to |g| (default 1e-8).
        weight_decay (float): L2 penalty (default 0).
        maximize (bool): maximise the objective instead of minimising it.

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_inf`` (u).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *,
                 maximize=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, group):
        lr, eps = group["lr"], group["eps"]
        beta1, beta2 = group["betas"]
        items = self._with_grads(group)
        for p, pa, ga, _ in items:
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["exp_avg"] = self._make(self._zeros_like(pa))
                state["exp_inf"] = self._make(self._zeros_like(pa))
            state["step"] = step = int(state["step"]) + 1
            g = self._effective_grad(pa, ga, group["weight_decay"], group["maximize"])
            m, u = state["exp_avg"]._a, state["exp_inf"]._a
            _C.optim_axpby_(m, beta1, g, 1.0 - beta1)
            _C.optim_axpby_(u, beta2, u, 0.0)
            _C.copy_(u, _C.maximum(u, _C.add(_C.abs(g), self._scalar(eps, u))))
            clr = lr / (1 - beta1 ** step)
            _C.optim_addcdiv_(pa, 1.0, m, u, -clr)
        self._write_back(items)
