"""RMSprop (PyTorch's torch.optim.RMSprop)."""
from .. import _C
from .optimizer import Optimizer, _check, _real


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), with PyTorch's options.

    Per parameter, at step t (PyTorch's algorithm)::

        g = -g if maximize;   g = g + weight_decay * p   (weight_decay != 0)
        v = alpha * v + (1 - alpha) * g^2
        centered:  gbar = alpha * gbar + (1 - alpha) * g;   v~ = v - gbar^2   else v~ = v
        d = g / (sqrt(v~) + eps)
        momentum > 0:  b = momentum * b + d;  p = p - lr * b     else  p = p - lr * d

    Args:
        params: tensors or parameter groups to optimise.
        lr (float): learning rate (default 1e-2).
        alpha (float): smoothing constant (default 0.99).
        eps (float): added to the denominator (default 1e-8).
        weight_decay (float): L2 penalty (default 0).
        momentum (float): momentum factor (default 0).
        centered (bool): normalise by an estimate of the gradient's variance.
        maximize (bool): maximise the objective instead of minimising it.

    State per parameter: ``step``, ``square_avg``, and ``momentum_buffer``
    (momentum > 0) and ``grad_avg`` (centered).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyper(self, group):
        super()._check_hyper(group)
        if "alpha" in group:
            alpha = _real("alpha", group["alpha"], "RMSprop")
            _check(alpha >= 0.0, f"Invalid alpha value: {alpha}")

    def _update(self, group):
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        momentum, centered = group["momentum"], group["centered"]
        items = self._with_grads(group)
        for p, pa, ga, _ in items:
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["square_avg"] = self._make(self._zeros_like(pa))
            if momentum > 0 and "momentum_buffer" not in state:
                state["momentum_buffer"] = self._make(self._zeros_like(pa))
            if centered and "grad_avg" not in state:
                state["grad_avg"] = self._make(self._zeros_like(pa))
            state["step"] = int(state["step"]) + 1
            g = self._effective_grad(pa, ga, group["weight_decay"], group["maximize"])
            square_avg = state["square_avg"]._a
            _C.optim_addcmul_(square_avg, alpha, g, g, 1.0 - alpha)
            if centered:
                grad_avg = state["grad_avg"]._a
                _C.optim_axpby_(grad_avg, alpha, g, 1.0 - alpha)
                var = self._copy(square_avg)
                _C.optim_addcmul_(var, 1.0, grad_avg, grad_avg, -1.0)
                avg = _C.sqrt(var)
            else:
                avg = _C.sqrt(square_avg)
            avg = _C.add(avg, self._scalar(eps, avg))
            if momentum > 0:
                buf = state["momentum_buffer"]._a
                _C.optim_addcdiv_(buf, momentum, g, avg, 1.0)
                _C.optim_axpby_(pa, 1.0, buf, -lr)
            else:
                _C.optim_addcdiv_(pa, 1.0, g, avg, -lr)
        self._write_back(items)
