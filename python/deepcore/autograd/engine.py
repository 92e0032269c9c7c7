"""Backpropagation: walk the graph from a tensor in reverse topological order.

The order comes from an iterative depth-first search (no recursion, so a
10,000-op chain is fine). Gradients of a node used on several paths are
summed before the node runs; saved tensors are freed as nodes finish unless
``retain_graph`` is set.
"""
import sys

from .. import _C
from . import grad_mode
from .function import AccumulateGrad, _FREED_MSG


def _owned_by_engine(grad, since):
    """Whether nothing but this backward pass can reach grad's memory: made
    during it (storage serial >= since), held by no other array (no view)
    and by no other Python reference than run_backward's `g`, this
    function's argument and getrefcount's (so not the caller's seed, not a
    tensor a backward returned twice or kept)."""
    return (sys.getrefcount(grad) <= 3 and sys.getrefcount(grad._a) <= 2
            and grad.grad_fn is None and grad._a.sole_owner_since(since))


def _topological_order(root):
    """Nodes reachable from root, each after every node that feeds it a gradient."""
    order, visited = [], {root}
    stack = [(root, iter(root.next_functions))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if child is not None and child not in visited:
                visited.add(child)
                stack.append((child, iter(child.next_functions)))
                break
        else:
            stack.pop()
            order.append(node)
    order.reverse()
    return order


def _accumulate_into_leaf(leaf, grad, fresh=False):
    if grad.shape != leaf.shape:
        raise RuntimeError(f"backward: gradient of shape {grad.shape} does not match the "
                           f"leaf tensor's shape {leaf.shape}")
    if leaf.grad is None:
        # The leaf must own its gradient, so later in-place changes (zero_, an
        # optimiser) touch no other tensor: one this pass made and nothing
        # else reaches (fresh) is kept as it is, as PyTorch does; any other is
        # copied.
        leaf.grad = grad if fresh else grad.detach().clone()
    else:
        leaf.grad = leaf.grad + grad


def run_backward(tensor, grad, retain_graph):
    root = tensor.grad_fn
    if root is None:  # a leaf: its gradient is the seed itself
        _accumulate_into_leaf(tensor, grad)
        return
    order = _topological_order(root)
    pending = {root: grad}
    since = _C._storage_next_serial()
    with grad_mode.no_grad():
        for node in order:
            g = pending.pop(node, None)
            if g is None:
                continue
            if node.__class__ is AccumulateGrad:
                fresh = _owned_by_engine(g, since)  # on its own: no pending call holds g
                _accumulate_into_leaf(node.variable, g, fresh)
                continue
            d = node.__dict__
            if d.get("_freed"):
                raise RuntimeError(_FREED_MSG)
            retained = d.get("_retained")
            if retained is not None:
                t = retained()
                if t is not None:
                    t.grad = g.detach().clone() if t.grad is None else t.grad + g
            grads = node.backward(node, g)
            if not isinstance(grads, tuple):
                grads = (grads,)
            if len(grads) != len(node.next_functions):
                raise RuntimeError(f"{node.name()}: backward returned {len(grads)} gradients "
                                   f"but forward had {len(node.next_functions)} inputs")
            for nxt, gi in zip(node.next_functions, grads):
                if nxt is None or gi is None:
                    continue
                prev = pending.get(nxt)
                pending[nxt] = gi if prev is None else prev + gi
            grads = gi = prev = None  # pending holds the only references (see _owned_by_engine)
            if not retain_graph:
                nf = node.next_functions
                d.clear()
                d["_freed"] = True
                d["next_functions"] = nf
