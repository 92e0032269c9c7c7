"""Adam and AdamW (PyTorch's torch.optim.Adam / AdamW): one fused native step.

Each step makes one ``_C.adam_step`` call per parameter group, a single pass
over all the group's elements (read g, p, m, v; write p, m, v): on the CPU
split over threads as one concatenated range (csrc/cpu/optim.cpp), on a GPU
one multi-tensor kernel launch (cuda/optim.cu). A group's parameters must
all be on one device; the state is created on it.
"""
from .. import _C
from .optimizer import Optimizer


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2014), with PyTorch's options.

    Per parameter, at step t (PyTorch's documented algorithm)::

        g = -g if maximize
        g = g + weight_decay * p              (Adam, weight_decay != 0)
        p = p * (1 - lr * weight_decay)       (AdamW: decoupled weight decay)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g^2
        vmax = max(vmax, v)                    (amsgrad; v_hat uses vmax)
        p = p - lr / (1 - beta1^t) * m / (sqrt(v_hat) / sqrt(1 - beta2^t) + eps)

    Args:
        params: tensors or parameter groups to optimise.
        lr (float): learning rate (default 1e-3).
        betas (tuple): (beta1, beta2), each in [0, 1) (default (0.9, 0.999)).
        eps (float): added to the denominator (default 1e-8).
        weight_decay (float): L2 penalty (default 0).
        amsgrad (bool): use the AMSGrad variant (default False).
        maximize (bool): maximise the objective instead of minimising it.
        decoupled_weight_decay (bool): AdamW's decoupled weight decay.

    State per parameter: ``step`` (int), ``exp_avg``, ``exp_avg_sq`` and, with
    amsgrad, ``max_exp_avg_sq``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _update(self, group):
        items = self._with_grads(group)
        if not items:
            return
        amsgrad = bool(group["amsgrad"])
        device = items[0][1].device
        for p, pa, _, _ in items:
            if not pa.device == device:
                pos = {id(q): i for i, q in enumerate(group["params"])}
                raise RuntimeError(
                    f"{type(self).__name__}.step: the fused step needs all parameters of a group "
                    f"on one device, but parameter {pos[id(p)]} is on {pa.device} and parameter "
                    f"{pos[id(items[0][0])]} on {device}")
        params, grads, exp_avgs, exp_avg_sqs, maxes, steps = [], [], [], [], [], []
        state_of = self.state
        for p, pa, ga, _ in items:
            state = state_of[p]
            if not state:
                state["step"] = 0
                state["exp_avg"] = self._make(self._zeros_like(pa))
                state["exp_avg_sq"] = self._make(self._zeros_like(pa))
                if amsgrad:
                    state["max_exp_avg_sq"] = self._make(self._zeros_like(pa))
            elif amsgrad and "max_exp_avg_sq" not in state:
                # amsgrad switched on after the first steps
                state["max_exp_avg_sq"] = self._make(self._zeros_like(pa))
            state["step"] = step = int(state["step"]) + 1
            params.append(pa)
            grads.append(ga)
            exp_avgs.append(state["exp_avg"]._a)
            exp_avg_sqs.append(state["exp_avg_sq"]._a)
            if amsgrad:
                maxes.append(state["max_exp_avg_sq"]._a)
            steps.append(step)
        beta1, beta2 = group["betas"]
        _C.adam_step(params, grads, exp_avgs, exp_avg_sqs, maxes, steps, float(group["lr"]),
                     float(beta1), float(beta2), float(group["eps"]),
                     float(group["weight_decay"]), bool(group["decoupled_weight_decay"]),
                     amsgrad, bool(group["maximize"]))
        self._write_back(items)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2017): the
    parameter is multiplied by ``1 - lr * weight_decay`` before the Adam update
    instead of adding ``weight_decay * p`` to the gradient.

    Same arguments as :class:`Adam`; ``weight_decay`` defaults to 1e-2.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=True)
