"""dc.optim.Optimizer: parameter groups, per-parameter state, state dicts.

The base class follows torch.optim.Optimizer: ``params`` is an iterable of
tensors or of dicts (parameter groups, each with its own hyper-parameters;
missing ones are filled from the optimiser's defaults), ``state`` maps each
parameter to a dict of its state, and ``state_dict()`` refers to parameters
by their index in the order of the groups, so a state dict can be loaded
into a new optimiser over new parameter objects of the same shapes.

Subclasses implement ``_update(group)``: one step of their rule for one group,
run under ``no_grad`` by ``step``.
"""
import copy
import numbers
from collections import defaultdict

from .. import _C
from .._tensor import Tensor
from ..autograd import grad_mode

_make = Tensor._make


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _real(name, value, cls):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{cls}: {name} must be a real number, got {type(value).__name__}")
    return float(value)


def _check(cond, message):
    if not cond:
        raise ValueError(message)


def _check_betas(betas, cls):
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{cls}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, b in enumerate(betas):
        b = _real(f"betas[{i}]", b, cls)
        _check(0.0 <= b < 1.0, f"Invalid beta parameter at index {i}: {b} (expected 0 <= beta < 1)")


class Optimizer:
    """Base class of all optimisers (PyTorch's ``torch.optim.Optimizer``).

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts
            ``{"params": [...], "lr": ...}`` (parameter groups).
        defaults: the default hyper-parameters of every group.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got a Tensor")
        if isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        if isinstance(params, dict):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got a dict (wrap a single group in a list)")
        self._check_hyper(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # -- hyper-parameters (subclasses list their checks here)
    def _check_hyper(self, group):
        """Raises ValueError/TypeError for invalid hyper-parameters in `group`."""
        cls = type(self).__name__
        if "lr" in group and group["lr"] is not required:
            lr = _real("lr", group["lr"], cls)
            _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        if "weight_decay" in group:
            wd = _real("weight_decay", group["weight_decay"], cls)
            _check(wd >= 0.0, f"Invalid weight_decay value: {wd}")
        if "eps" in group:
            eps = _real("eps", group["eps"], cls)
            _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        if "momentum" in group:
            m = _real("momentum", group["momentum"], cls)
            _check(m >= 0.0, f"Invalid momentum value: {m}")
        if "betas" in group:
            _check_betas(group["betas"], cls)

    def add_param_group(self, param_group):
        """Adds a group of parameters (a dict with "params" and optional
        hyper-parameters) to ``param_groups``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        gi = len(self.param_groups)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but parameter {i} of "
                                f"group {gi} is a {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"can't optimize a non-leaf Tensor (parameter {i} of group "
                                 f"{gi} has grad_fn {type(p.grad_fn).__name__})")
            if not p.dtype.is_floating_point:
                raise TypeError(f"optimizer can only optimize floating point tensors, but "
                                f"parameter {i} of group {gi} has dtype {p.dtype}")
        param_group["params"] = params

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        self._check_hyper(param_group)

        # A tensor updated twice per step would be wrong (and the fused
        # kernels would race on it).
        seen = {}
        for j, g in enumerate(self.param_groups):
            for i, p in enumerate(g["params"]):
                seen[id(p)] = (j, i)
        for i, p in enumerate(params):
            if id(p) in seen:
                j, k = seen[id(p)]
                if j == gi:
                    raise ValueError(f"parameter {i} of group {gi} appears twice in the same "
                                     f"group (also as parameter {k}); a tensor can be "
                                     "optimized only once")
                raise ValueError(f"some parameters appear in more than one parameter group: "
                                 f"parameter {i} of group {gi} appears in groups {j} and {gi} "
                                 f"(as parameter {k} of group {j})")
            seen[id(p)] = (gi, i)
        if self.param_groups and \
                ("param_names" in param_group) != ("param_names" in self.param_groups[0]):
            raise ValueError("all optimizer param groups should be with/without names")
        self.param_groups.append(param_group)

    # -- gradients
    def zero_grad(self, set_to_none=True):
        """Resets the gradients of all parameters: to None (default), or to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g = g.detach()
                        p.grad = g
                    else:
                        g.requires_grad_(False)
                    _C.fill_(g._a, 0.0)

    def step(self, closure=None):
        """Performs one optimisation step. ``closure``: a callable that clears
        the gradients, recomputes the loss, calls backward and returns the
        loss; it is run (with grad enabled) before the update and its loss is
        returned."""
        loss = None
        self._opt_called = True  # lr schedulers check the order of the step() calls
        if closure is not None:
            prev = grad_mode.state.enabled
            grad_mode.state.enabled = True
            try:
                loss = closure()
            finally:
                grad_mode.state.enabled = prev
        prev = grad_mode.state.enabled
        grad_mode.state.enabled = False
        try:
            for group in self.param_groups:
                self._update(group)
        finally:
            grad_mode.state.enabled = prev
        return loss

    def _update(self, group):
        raise NotImplementedError(f"{type(self).__name__} does not implement step")

    def _with_grads(self, group):
        """(param, param array, grad array) for each parameter of `group` that
        has a gradient, all contiguous; a non-contiguous parameter gets a
        contiguous working copy that ``_write_back`` copies back."""
        items = []
        gi = None
        for i, p in enumerate(group["params"]):
            g = p.grad
            if g is None:
                continue
            pa, ga = p._a, g._a
            if not ga.device == pa.device:
                gi = next(k for k, gr in enumerate(self.param_groups) if gr is group)
                raise RuntimeError(f"{type(self).__name__}.step: the gradient of parameter {i} "
                                   f"in group {gi} is on {ga.device} but the parameter is on "
                                   f"{pa.device}")
            if ga.shape != pa.shape or ga.dtype_index != pa.dtype_index:
                if gi is None:
                    gi = next(k for k, gr in enumerate(self.param_groups) if gr is group)
                what = (f"{type(self).__name__}.step: the gradient of parameter {i} in group "
                        f"{gi}")
                if ga.dtype_index != pa.dtype_index:
                    raise TypeError(f"{what} has dtype {g.dtype} but the parameter has dtype "
                                    f"{p.dtype}")
                raise _C.ShapeError(f"{what} has shape {tuple(ga.shape)} but the parameter has "
                                    f"shape {tuple(pa.shape)}")
            if not ga.is_contiguous():
                ga = _C.contiguous(ga)
            if not pa.is_contiguous():
                items.append((p, _C.contiguous(pa), ga, True))
            else:
                items.append((p, pa, ga, False))
        return items

    @staticmethod
    def _write_back(items):
        for p, work, _, copied in items:
            if copied:
                _C.copy_(p._a, work)

    # -- state dicts
    def state_dict(self):
        """The optimiser's state as ``{"state": {index: {...}}, "param_groups":
        [{..., "params": [indices]}]}``; parameters are numbered in the order of
        the groups. As in PyTorch, state tensors are the live ones (not
        copies): save or copy the dict before stepping again."""
        mapping = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {mapping[id(p)]: dict(s) for p, s in self.state.items()
                 if isinstance(p, Tensor) and id(p) in mapping}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Loads a state dict made by ``state_dict()`` of an optimiser of the same
        type over parameters of the same shapes, in the same group layout.
        State tensors are copied onto the parameter's device (floating ones
        cast to its dtype), as PyTorch does."""
        if not isinstance(state_dict, dict) or "state" not in state_dict \
                or "param_groups" not in state_dict:
            raise ValueError("load_state_dict: expected a dict with 'state' and 'param_groups' "
                             "entries, as returned by Optimizer.state_dict()")
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError(f"loaded state dict has a different number of parameter groups: "
                             f"{len(saved_groups)} in the state dict, {len(groups)} in the "
                             f"optimizer")
        for i, (g, s) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(f"loaded state dict contains a parameter group that doesn't "
                                 f"match the size of optimizer's group: group {i} has "
                                 f"{len(s['params'])} parameters in the state dict and "
                                 f"{len(g['params'])} in the optimizer")
        id_map = {}
        for g, s in zip(groups, saved_groups):
            for p, idx in zip(g["params"], s["params"]):
                id_map[int(idx)] = p

        new_state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            try:
                idx = int(key)  # a serialiser may have turned int keys into strings
            except (TypeError, ValueError):
                raise ValueError(f"load_state_dict: state key {key!r} is not a parameter "
                                 "index") from None
            if idx not in id_map:
                raise ValueError(f"load_state_dict: the state dict has state for parameter "
                                 f"index {idx}, which no parameter group lists")
            p = id_map[idx]
            if not isinstance(value, dict):
                raise ValueError(f"load_state_dict: the state of parameter {idx} must be a "
                                 f"dict, got {type(value).__name__}")
            new_state[p] = {k: self._load_value(p, idx, k, v) for k, v in value.items()}

        new_groups = []
        for g, s in zip(groups, saved_groups):
            ng = {k: copy.deepcopy(v) for k, v in s.items() if k != "params"}
            ng["params"] = g["params"]
            if "param_names" in g and "param_names" not in ng:
                ng["param_names"] = g["param_names"]
            self._check_hyper(ng)
            new_groups.append(ng)
        self.state = new_state
        self.param_groups = new_groups

    @staticmethod
    def _load_value(p, idx, key, value):
        if isinstance(value, Tensor):
            if value.ndim != 0 and value.shape != p.shape:
                raise ValueError(f"load_state_dict: state '{key}' of parameter {idx} has shape "
                                 f"{tuple(value.shape)} but the parameter has shape "
                                 f"{tuple(p.shape)}")
            # As PyTorch: a copy on the parameter's device, floating state
            # cast to the parameter's dtype.
            a = value._a
            dtype = p._a.dtype if value.dtype.is_floating_point else a.dtype
            if a.device == p._a.device:
                return _make(_C.to_dtype(a, dtype, True))  # a contiguous copy
            # to_device copies; any cast happens on the host side of the move.
            if a.device.type == 0:
                return _make(_C.to_device(_C.to_dtype(a, dtype, False), p._a.device))
            return _make(_C.to_dtype(_C.to_device(a, p._a.device), dtype, False))
        if isinstance(value, dict):
            return {k: Optimizer._load_value(p, idx, k, v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(Optimizer._load_value(p, idx, key, v) for v in value)
        return copy.deepcopy(value)

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    # helpers shared by the subclasses
    _make = staticmethod(_make)

    @staticmethod
    def _zeros_like(a):
        return _C.full(list(a.shape), 0.0, a.dtype, a.device)

    @staticmethod
    def _scalar(value, a):
        """A 0-d array holding value, of a's dtype and on a's device."""
        s = _C.scalar(float(value), a.dtype)
        if a.device.type != 0:
            s = _C.to_device(s, a.device)
        return s

    @staticmethod
    def _copy(a):
        return _C.to_dtype(a, a.dtype, True)

    @staticmethod
    def _effective_grad(pa, ga, weight_decay, maximize):
        """(-g if maximize else g) + weight_decay * p, as a new array unless it
        is the gradient itself (which is never modified)."""
        if weight_decay == 0 and not maximize:
            return ga
        d = _C.to_dtype(ga, ga.dtype, True)
        _C.optim_axpby_(d, -1.0 if maximize else 1.0, pa, float(weight_decay))
        return d
