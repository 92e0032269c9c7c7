"""Linear algebra ops: matmul (and ``@``) with PyTorch's rank rules, its
narrower spellings mm, bmm, mv, dot, outer, and linear (x @ W^T + b in one
native GEMM call).

The backward of C = A @ B is dA = dC @ B^T, dB = A^T @ dC, each summed back
over the batch dims its operand was broadcast along. A 1-D operand is a row
(1, k) on the left or a column (k, 1) on the right; the backward views it and
the gradient that way, so one formula covers every rank combination.
"""
import math

import numpy as np

from .. import _C
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.function import Function, sum_to

_make = Tensor._make


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        if ctx:
            ctx.save_for_backward(a, b)
        return _make(_C.matmul(a._a, b._a))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        g = grad._a
        if b.ndim == 1:
            g = _C.unsqueeze(g, -1)
        if a.ndim == 1:
            g = _C.unsqueeze(g, -2)
        a2 = _C.unsqueeze(a._a, 0) if a.ndim == 1 else a._a
        b2 = _C.unsqueeze(b._a, 1) if b.ndim == 1 else b._a
        ga = gb = None
        if ctx.needs_input_grad[0]:
            if a2.ndim == 2 and b2.ndim > 2:
                # A matrix against a stack: fold the batch into the product,
                # sum_b g[b] @ b[b]^T = (m, B*n) @ (B*n, k), with no (B, m, k) temporary.
                ga = _C.matmul(_columns_last(g), _C.transpose(_columns_last(b2), 0, 1))
            else:
                ga = sum_to(_make(_C.matmul(g, _C.transpose(b2, -1, -2))), a2.shape)._a
            ga = _make(_C.reshape(ga, list(a.shape)))
        if ctx.needs_input_grad[1]:
            if b2.ndim == 2 and a2.ndim > 2:
                # A stack against a matrix (a Linear layer on a batch): the batch
                # folds into rows, sum_b a[b]^T g[b] = (B*m, k)^T @ (B*m, n).
                gb = _C.matmul(_C.transpose(_rows_first(a2), 0, 1), _rows_first(g))
            else:
                gb = sum_to(_make(_C.matmul(_C.transpose(a2, -1, -2), g)), b2.shape)._a
            gb = _make(_C.reshape(gb, list(b.shape)))
        return ga, gb


class Linear(Function):
    """y = x @ W^T + b, x (..., in) or (in,), W (out, in), b (out,) or None.

    Backward, with the leading dims of x and grad folded into rows (M, in)
    and (M, out): grad_x = grad @ W, grad_W = grad^T @ x (a transposed view,
    no copy), grad_b = grad summed over the rows (as 1_M^T @ grad).
    """

    @staticmethod
    def forward(ctx, input, weight, bias):
        if ctx:
            ctx.save_for_backward(input, weight)
        return _make(_C.linear(input._a, weight._a, None if bias is None else bias._a))

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        g = grad._a
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = _make(_C.matmul(g, w._a))
        if ctx.needs_input_grad[1] or ctx.needs_input_grad[2]:
            g2 = _rows_first(g) if g.ndim > 1 else _C.unsqueeze(g, 0)
        if ctx.needs_input_grad[1]:
            x2 = _rows_first(x._a) if x.ndim > 1 else _C.unsqueeze(x._a, 0)
            gw = _make(_C.matmul(_C.transpose(g2, 0, 1), x2))
        if ctx.needs_input_grad[2]:
            ones = _C.full([g2.shape[0]], 1.0, g2.dtype, g2.device)
            gb = _make(_C.matmul(ones, g2))
        return gx, gw, gb


def _rows_first(x):
    """A stack of matrices (..., r, c) as one matrix (B*r, c)."""
    return _C.reshape(x, [math.prod(x.shape[:-1]), x.shape[-1]])


def _columns_last(x):
    """A stack of matrices (..., r, c) as one matrix (r, B*c), batches side by side."""
    nd = x.ndim
    perm = [nd - 2] + list(range(nd - 2)) + [nd - 1]
    return _C.reshape(_C.permute(x, perm), [x.shape[-2], math.prod(x.shape[:-2]) * x.shape[-1]])


def _check_tensors(op, a, b):
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"{op}: expected Tensors, got {type(a).__name__} and "
                        f"{type(b).__name__}")


def _check_ranks(op, a, b, ranks, what):
    if (a.ndim, b.ndim) != ranks:
        raise _C.ShapeError(f"{op}: expected {what}, got shapes {a.shape} and {b.shape}")


def _check_inner(op, a, b):
    """The matmul inner-dim check under the name of a narrower op."""
    k, kb = a.shape[-1], b.shape[0 if b.ndim == 1 else -2]
    if k != kb:
        raise _C.ShapeError(f"{op}: shapes {a.shape} and {b.shape} cannot be multiplied "
                            f"({k} != {kb})")


def _matmul(a, b):
    if (a._requires_grad or b._requires_grad) and grad_mode.state.enabled:
        return MatMul.apply(a, b)
    return _make(_C.matmul(a._a, b._a))


def matmul(input, other):
    """Matrix product with PyTorch's rules: 1-D x 1-D is a dot product, 1-D
    operands act as a row (left) or column (right), N-D operands are stacks of
    matrices whose batch dims broadcast."""
    _check_tensors("matmul", input, other)
    return _matmul(input, other)


def mm(input, mat2):
    """Product of two matrices (2-D only, no broadcasting)."""
    _check_tensors("mm", input, mat2)
    _check_ranks("mm", input, mat2, (2, 2), "2-D tensors")
    _check_inner("mm", input, mat2)
    return _matmul(input, mat2)


def bmm(input, mat2):
    """Batched product of two 3-D tensors with equal batch sizes."""
    _check_tensors("bmm", input, mat2)
    _check_ranks("bmm", input, mat2, (3, 3), "3-D tensors")
    if input.shape[0] != mat2.shape[0]:
        raise _C.ShapeError(f"bmm: batch sizes differ ({input.shape[0]} != {mat2.shape[0]}) "
                            f"for shapes {input.shape} and {mat2.shape}")
    _check_inner("bmm", input, mat2)
    return _matmul(input, mat2)


def mv(input, vec):
    """Matrix (2-D) times vector (1-D)."""
    _check_tensors("mv", input, vec)
    _check_ranks("mv", input, vec, (2, 1), "a 2-D and a 1-D tensor")
    _check_inner("mv", input, vec)
    return _matmul(input, vec)


def dot(input, other):
    """Dot product of two 1-D tensors of the same size (a 0-d tensor)."""
    _check_tensors("dot", input, other)
    _check_ranks("dot", input, other, (1, 1), "1-D tensors")
    _check_inner("dot", input, other)
    return _matmul(input, other)


def outer(input, vec2):
    """Outer product of two 1-D tensors: out[i, j] = input[i] * vec2[j]."""
    _check_tensors("outer", input, vec2)
    _check_ranks("outer", input, vec2, (1, 1), "1-D tensors")
    return _matmul(input.unsqueeze(1), vec2.unsqueeze(0))


def linear(input, weight, bias=None):
    """input @ weight^T + bias, as PyTorch's torch.nn.functional.linear:
    input (..., in_features) or (in_features,), weight (out_features,
    in_features), bias (out_features,) or None; one native GEMM whose initial
    C is the bias."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor) or not (
            bias is None or isinstance(bias, Tensor)):
        raise TypeError(f"linear: expected Tensors (bias may be None), got "
                        f"{type(input).__name__}, {type(weight).__name__} and "
                        f"{type(bias).__name__}")
    if grad_mode.state.enabled and (input._requires_grad or weight._requires_grad or (
            bias is not None and bias._requires_grad)):
        return Linear.apply(input, weight, bias)
    return Linear.forward(None, input, weight, bias)


def _operand(x, like):
    """A numpy array as a tensor on like's device (as the elementwise operators
    treat numpy operands); None for anything else (the operator then returns
    NotImplemented and Python raises its TypeError)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        from .._creation import tensor
        return tensor(x, device=like.device)
    return None


def _matmul_op(self, other):
    other = _operand(other, self)
    return NotImplemented if other is None else _matmul(self, other)


def _rmatmul_op(self, other):
    other = _operand(other, self)
    return NotImplemented if other is None else _matmul(other, self)


__all__ = ["matmul", "mm", "bmm", "mv", "dot", "outer", "linear"]

METHODS = {
    "matmul": matmul, "mm": mm, "bmm": bmm, "mv": mv, "dot": dot, "outer": outer,
    "__matmul__": _matmul_op, "__rmatmul__": _rmatmul_op,
}
