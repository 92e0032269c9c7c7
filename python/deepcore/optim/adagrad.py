"""Adagrad (PyTorch's torch.optim.Adagrad)."""
from .. import _C
from .optimizer import Optimizer, _check, _real


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), with PyTorch's options.

    Per parameter, at step t (PyTorch's algorithm)::

        g = -g if maximize;   g = g + weight_decay * p   (weight_decay != 0)
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g^2                      (s starts at initial_accumulator_value)
        p = p - clr * g / (sqrt(s) + eps)

    Args:
        params: tensors or parameter groups to optimise.
        lr (float): learning rate (default 1e-2).
        lr_decay (float): learning rate decay (default 0).
        weight_decay (float): L2 penalty (default 0).
        initial_accumulator_value (float): starting value of the sums (default 0).
        eps (float): added to the denominator (default 1e-10).
        maximize (bool): maximise the objective instead of minimising it.

    State per parameter (made at construction, as PyTorch): ``step``, ``sum``.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, *, maximize=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _check_hyper(self, group):
        super()._check_hyper(group)
        if "lr_decay" in group:
            v = _real("lr_decay", group["lr_decay"], "Adagrad")
            _check(v >= 0.0, f"Invalid lr_decay value: {v}")
        if "initial_accumulator_value" in group:
            v = _real("initial_accumulator_value", group["initial_accumulator_value"], "Adagrad")
            _check(v >= 0.0, f"Invalid initial_accumulator_value value: {v}")

    def _init_state(self, p, group):
        state = self.state[p]
        if not state:
            state["step"] = 0
            state["sum"] = self._make(_C.full(list(p.shape), float(
                group["initial_accumulator_value"]), p._a.dtype, p._a.device))
        return state

    def _update(self, group):
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        items = self._with_grads(group)
        for p, pa, ga, _ in items:
            state = self._init_state(p, group)
            state["step"] = step = int(state["step"]) + 1
            g = self._effective_grad(pa, ga, group["weight_decay"], group["maximize"])
            clr = lr / (1 + (step - 1) * lr_decay)
            s = state["sum"]._a
            _C.optim_addcmul_(s, 1.0, g, g, 1.0)
            std = _C.sqrt(s)
            std = _C.add(std, self._scalar(eps, std))
            _C.optim_addcdiv_(pa, 1.0, g, std, -clr)
        self._write_back(items)
