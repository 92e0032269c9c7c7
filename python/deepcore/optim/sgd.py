"""Stochastic gradient descent with momentum (PyTorch's torch.optim.SGD)."""
from .. import _C
from .optimizer import Optimizer, _check, _real


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum and Nesterov momentum.

    Per parameter, with g its gradient, at step t (PyTorch's algorithm)::

        g = -g if maximize
        g = g + weight_decay * p                      if weight_decay != 0
        b = g  (t = 1);  b = momentum * b + (1 - dampening) * g  (t > 1)
        g = g + momentum * b  if nesterov  else  b    if momentum != 0
        p = p - lr * g

    Args:
        params: tensors or parameter groups to optimise.
        lr (float): learning rate (default 1e-3).
        momentum (float): momentum factor (default 0).
        dampening (float): dampening of the momentum (default 0).
        weight_decay (float): L2 penalty added to the gradient (default 0).
        nesterov (bool): Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize (bool): maximise the objective instead of minimising it.

    State per parameter: ``momentum_buffer`` (when momentum != 0).
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyper(self, group):
        super()._check_hyper(group)
        if "dampening" in group:
            _real("dampening", group["dampening"], "SGD")
        if group.get("nesterov"):
            _check(group.get("momentum", 0) > 0 and group.get("dampening", 0) == 0,
                   "Nesterov momentum requires a momentum and zero dampening")

    def _update(self, group):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        wd, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        items = self._with_grads(group)
        for p, pa, ga, _ in items:
            d = self._effective_grad(pa, ga, wd, maximize)
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = self._make(self._copy(d))
                    state["momentum_buffer"] = buf
                else:
                    _C.optim_axpby_(buf._a, momentum, d, 1.0 - dampening)
                if nesterov:
                    if d is ga:
                        d = self._copy(ga)
                    _C.optim_axpby_(d, 1.0, buf._a, momentum)
                else:
                    d = buf._a
            _C.optim_axpby_(pa, 1.0, d, -lr)
        self._write_back(items)
