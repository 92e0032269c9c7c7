"""Function: one differentiable op, forward and backward side by side.

A subclass defines ``forward(ctx, *args)`` returning a Tensor and
``backward(ctx, grad)`` returning one gradient (or None) per forward
argument. ``apply`` runs forward and, when grad mode is on and an input
requires grad, makes the ctx the output's ``grad_fn``: a node of the graph
whose ``next_functions`` are the inputs' nodes.
"""
from .. import _C
from . import grad_mode


class Function:
    """Base of every differentiable op (and of user-defined ones)."""

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args):
        ctx = cls.__new__(cls)
        state = grad_mode.state
        if state.enabled:
            # Tensors have _requires_grad; any other argument (a dim, a shape) counts as False.
            needs = tuple(getattr(a, "_requires_grad", False) is True for a in args)
            if True in needs:
                ctx.needs_input_grad = needs
                ctx.next_functions = tuple(_edge(a) if n else None for a, n in zip(args, needs))
                state.enabled = False  # forward's own ops record nothing
                try:
                    out = cls.forward(ctx, *args)
                finally:
                    state.enabled = True
                if out._a.dtype_index < 2:
                    return out  # integer/bool results (indices, masks) carry no gradient
                out._requires_grad = True
                out.grad_fn = ctx
                saved = ctx.__dict__.get("_saved")
                if saved is not None:
                    ctx._saved = _alias_output(saved, out)
                return out
        ctx.needs_input_grad = _NO_GRAD
        return cls.forward(ctx, *args)

    # -- saving tensors for backward, guarded against later in-place changes
    def save_for_backward(self, *tensors):
        self._saved = tuple((t, t._a.version) if t is not None else None for t in tensors)

    @property
    def saved_tensors(self):
        saved = self.__dict__.get("_saved")
        if saved is None:
            if self.__dict__.get("_freed"):
                raise RuntimeError(_FREED_MSG)
            return ()
        out = []
        for entry in saved:
            if entry is None:
                out.append(None)
                continue
            t, version = entry
            if t._a.version != version:
                raise RuntimeError(
                    f"{type(self).__name__}: a tensor saved for backward was modified by an "
                    f"in-place operation (version {version} -> {t._a.version}); gradients "
                    "would be wrong")
            out.append(t)
        return tuple(out)

    def name(self):
        return type(self).__name__ + "Backward"

    def __repr__(self):
        return f"<{self.name()} object>"


def _alias_output(saved, out):
    """The saved entries, with the op's own output replaced by a plain alias
    of it (same array, so the same version counter). Saving the output itself
    would make a reference cycle, out -> grad_fn -> saved -> out, that keeps
    every such output alive until the garbage collector runs whenever no
    backward frees the graph (a forward with grad mode on, for evaluation or
    timing). Backward runs without grad, so the alias loses nothing."""
    if not any(e is not None and e[0] is out for e in saved):
        return saved
    alias = out._make(out._a)
    return tuple((alias, e[1]) if e is not None and e[0] is out else e for e in saved)


class _NoGrad(tuple):
    """needs_input_grad when no graph is recorded: every entry False."""

    def __getitem__(self, i):
        return False


_NO_GRAD = _NoGrad()

_FREED_MSG = ("Trying to backward through the graph a second time (or directly access saved "
              "tensors after they have already been freed). Saved intermediate values of the "
              "graph are freed when you call .backward(). Specify retain_graph=True if you need "
              "to backward through the graph a second time.")


class AccumulateGrad:
    """The graph node of a leaf tensor: adds the incoming gradient to ``.grad``."""

    __slots__ = ("variable", "__weakref__")
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return "<AccumulateGrad object>"


def _edge(t):
    """The node that receives the gradient of tensor t."""
    if t.grad_fn is not None:
        return t.grad_fn
    acc = t._acc
    if acc is None:
        acc = t._acc = AccumulateGrad(t)
    return acc


def sum_to(grad, shape):
    """Sums ``grad`` down to ``shape``: undoes broadcasting in backward formulas."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    gshape = grad.shape
    dims = list(range(lead)) + [lead + i for i, s in enumerate(shape)
                                if s == 1 and gshape[lead + i] != 1]
    out = _C.sum(grad._a, dims, True) if dims else grad._a
    return grad._make(_C.reshape(out, list(shape)))
