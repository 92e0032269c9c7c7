"""dc.autograd.gradcheck: compare backward with central differences in float64."""
import numpy as np

from .. import _C
from .grad_mode import no_grad


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _host(t):
    return t.detach().cpu().numpy().astype(np.float64).reshape(-1)


def _element_setter(x):
    """set(j, v): x.flatten()[j] = v in place. A CPU tensor is written through
    its numpy view; a GPU one through a one-element slice and fill_."""
    if x.device.type == "cpu":
        flat = x.detach().numpy().reshape(-1)

        def set_cpu(j, v):
            flat[j] = v
        return set_cpu
    flat = x.detach().reshape(-1)
    return lambda j, v: flat[j:j + 1].fill_(float(v))


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Checks the analytical Jacobian of fn at inputs against finite differences.

    Every floating input must be float64. For each output element one backward
    pass gives a Jacobian row; each input element is perturbed by +-eps to give
    a column. Returns True, or raises (returns False with raise_exception=False)
    with the worst error and where it occurred.
    """
    from .._tensor import Tensor
    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck: no input requires grad")
    for i in diff:
        if inputs[i].dtype.name != "float64":
            raise TypeError(f"gradcheck: input {i} is {inputs[i].dtype}; gradcheck needs "
                            "float64 inputs for accurate finite differences")

    def outputs_of(args):
        return [o for o in _as_tuple(fn(*args)) if isinstance(o, Tensor)]

    outs = outputs_of(inputs)
    worst = (0.0, None)  # (excess over tolerance, description)
    for oi, out in enumerate(outs):
        if not out.requires_grad:
            continue
        n_out = out.numel()
        # Analytical: row k of the Jacobian is the gradient of out.flatten()[k].
        analytic = {i: np.zeros((n_out, inputs[i].numel())) for i in diff}
        for k in range(n_out):
            for i in diff:
                inputs[i].grad = None
            seed = np.zeros(n_out, dtype=out.dtype._np)
            seed[k] = 1.0
            seed = Tensor._make(_C.from_numpy(seed.reshape(out.shape))).to(out.device)
            out.backward(seed, retain_graph=True)
            for i in diff:
                g = inputs[i].grad
                if g is not None:
                    analytic[i][k] = g.detach().numpy().reshape(-1)
        # Numerical: perturb each input element in place (the tensors are leaves).
        for i in diff:
            x = inputs[i]
            if not x.is_contiguous():
                raise ValueError(f"gradcheck: input {i} must be contiguous")
            values = x.detach().cpu().numpy().reshape(-1).copy()
            set_element = _element_setter(x)
            for j in range(values.size):
                orig = values[j]
                with no_grad():
                    set_element(j, orig + eps)
                    plus = _host(outputs_of(inputs)[oi])
                    set_element(j, orig - eps)
                    minus = _host(outputs_of(inputs)[oi])
                    set_element(j, orig)
                numeric = (plus - minus) / (2 * eps)
                a = analytic[i][:, j]
                err = np.abs(a - numeric) - (atol + rtol * np.abs(numeric))
                k = int(np.argmax(err)) if err.size else 0
                if err.size and err[k] > worst[0]:
                    idx = np.unravel_index(j, x.shape) if x.ndim else ()
                    rel = abs(a[k] - numeric[k]) / max(abs(numeric[k]), 1e-12)
                    worst = (err[k], f"gradcheck: Jacobian mismatch for output {oi} element "
                                     f"{k} with respect to input {i} element {tuple(int(v) for v in idx)}: "
                                     f"analytical {a[k]:.6g}, numerical {numeric[k]:.6g} "
                                     f"(relative error {rel:.3g}, atol={atol}, rtol={rtol})")
    for i in diff:
        inputs[i].grad = None
    if worst[1] is not None:
        if raise_exception:
            raise RuntimeError(worst[1])
        return False
    return True
