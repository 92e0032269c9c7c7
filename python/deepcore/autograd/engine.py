"""Backpropagation: walk the graph from a tensor in reverse topological order.

The order comes from an iterative depth-first search (no recursion, so a
10,000-op chain is fine). Gradients of a node used on several paths are
summed before the node runs; saved tensors are freed as nodes finish unless
``retain_graph`` is set.
"""
from . import grad_mode
from .function import AccumulateGrad, _FREED_MSG


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


def _accumulate_into_leaf(leaf, grad):
    if grad.shape != leaf.shape:
        raise RuntimeError(f"backward: gradient of shape {grad.shape} does not match the "
                           f"leaf tensor's shape {leaf.shape}")
    if leaf.grad is None:
        # Own copy, so later in-place changes (zero_, an optimiser) touch no other tensor.
        leaf.grad = grad.detach().clone()
    else:
        leaf.grad = leaf.grad + grad


def run_backward(tensor, grad, retain_graph):
    root = tensor.grad_fn
    if root is None:  # a leaf: its gradient is the seed itself
        _accumulate_into_leaf(tensor, grad)
        return
    order = _topological_order(root)
    pending = {root: grad}
    with grad_mode.no_grad():
        for node in order:
            g = pending.pop(node, None)
            if g is None:
                continue
            if node.__class__ is AccumulateGrad:
                _accumulate_into_leaf(node.variable, g)
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
            if not retain_graph:
                nf = node.next_functions
                d.clear()
                d["_freed"] = True
                d["next_functions"] = nf
