"""NAdam (PyTorch's torch.optim.NAdam)."""
from .. import _C
from .optimizer import Optimizer, _check, _real


class NAdam(Optimizer):
    r"""Adam with Nesterov momentum (Dozat, 2016), with PyTorch's options.

    Per parameter, at step t (PyTorch's algorithm)::

        g = -g if maximize
        g = g + weight_decay * p          (or p = p * (1 - lr * weight_decay)
                                           with decoupled_weight_decay)
        mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))
        mu_{t+1} = beta1 * (1 - 0.5 * 0.96^((t + 1) * momentum_decay))
        P_t = mu_1 * ... * mu_t
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g^2
        d = sqrt(v / (1 - beta2^t)) + eps
        p = p - lr * (1 - mu_t) / (1 - P_t) * g / d
              - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / d

    Args:
        params: tensors or parameter groups to optimise.
        lr (float): learning rate (default 2e-3).
        betas (tuple): (beta1, beta2), each in [0, 1) (default (0.9, 0.999)).
        eps (float): added to the denominator (default 1e-8).
        weight_decay (float): weight decay (default 0).
        momentum_decay (float): the psi of the momentum schedule (default 4e-3).
        decoupled_weight_decay (bool): AdamW-style weight decay (NAdamW).
        maximize (bool): maximise the objective instead of minimising it.

    State per parameter: ``step``, ``mu_product`` (a float), ``exp_avg``,
    ``exp_avg_sq``.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyper(self, group):
        super()._check_hyper(group)
        if "momentum_decay" in group:
            v = _real("momentum_decay", group["momentum_decay"], "NAdam")
            _check(v >= 0.0, f"Invalid momentum_decay value: {v}")

    def _update(self, group):
        lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        psi, decoupled = group["momentum_decay"], group["decoupled_weight_decay"]
        items = self._with_grads(group)
        for p, pa, ga, _ in items:
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["mu_product"] = 1.0
                state["exp_avg"] = self._make(self._zeros_like(pa))
                state["exp_avg_sq"] = self._make(self._zeros_like(pa))
            state["step"] = step = int(state["step"]) + 1
            bias_correction2 = 1 - beta2 ** step
            if decoupled and wd != 0:
                _C.optim_axpby_(pa, 1.0 - lr * wd, pa, 0.0)
            g = self._effective_grad(pa, ga, 0 if decoupled else wd, group["maximize"])
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
            mu_product = float(state["mu_product"]) * mu
            state["mu_product"] = mu_product
            m, v = state["exp_avg"]._a, state["exp_avg_sq"]._a
            _C.optim_axpby_(m, beta1, g, 1.0 - beta1)
            _C.optim_addcmul_(v, beta2, g, g, 1.0 - beta2)
            denom = _C.sqrt(_C.div(v, self._scalar(bias_correction2, v)))
            denom = _C.add(denom, self._scalar(eps, denom))
            _C.optim_addcdiv_(pa, 1.0, g, denom, -lr * (1.0 - mu) / (1.0 - mu_product))
            _C.optim_addcdiv_(pa, 1.0, m, denom, -lr * mu_next / (1.0 - mu_product * mu_next))
        self._write_back(items)
