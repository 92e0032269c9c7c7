"""Write your own differentiable op and check its gradient numerically.

    python examples/gradcheck_custom_function.py

A Function has a forward and a backward; dc.autograd.gradcheck compares the
backward with central finite differences in float64.
"""
import deepcore as dc
from deepcore.autograd import Function, gradcheck


class Softplus(Function):
    """softplus(x) = log(1 + exp(x)), written stably; d/dx = sigmoid(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return dc.relu(x) + dc.log(1 + dc.exp(-dc.abs(x)))

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * dc.sigmoid(x)


x = dc.randn(5, 3, dtype=dc.float64, requires_grad=True)
print("gradcheck passes:", gradcheck(Softplus.apply, (x,)))


class BrokenSoftplus(Softplus):
    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * dc.sigmoid(x) * 1.01  # a 1% mistake


try:
    gradcheck(BrokenSoftplus.apply, (x,))
except RuntimeError as e:
    print("the broken version is caught:", e)
