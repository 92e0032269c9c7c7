"""dc.nn.functional: max_pool2d and avg_pool2d (NCHW or CHW), native forward
and backward. max_pool2d keeps the argmax of each window for its backward."""
from ... import _C
from ..._tensor import Tensor
from ...autograd import grad_mode
from ...autograd.function import Function
from .conv import _check_tensor, _int_arg

__all__ = ["max_pool2d", "avg_pool2d"]

_make = Tensor._make


class MaxPool2d(Function):
    """Records max pooling in the graph; the public function has already run
    the native forward, which gives the window maxima and their indices."""

    @staticmethod
    def forward(ctx, input, out, indices, params):
        if ctx:
            ctx.save_for_backward(indices)
            ctx.input_shape = list(input.shape)
            ctx.params = params
        return _make(out)

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved_tensors
        gx = _C.max_pool2d_backward(grad._a, indices._a, ctx.input_shape, *ctx.params)
        return _make(gx), None, None, None


class AvgPool2d(Function):
    @staticmethod
    def forward(ctx, input, params):
        if ctx:
            ctx.input_shape = list(input.shape)
            ctx.params = params
        return _make(_C.avg_pool2d(input._a, *params))

    @staticmethod
    def backward(ctx, grad):
        return _make(_C.avg_pool2d_backward(grad._a, ctx.input_shape, *ctx.params)), None


def _stride_arg(op, stride):
    return [] if stride is None else _int_arg(op, "stride", stride)


def _needs_graph(input):
    return input._requires_grad and grad_mode.state.enabled


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The maximum of each kernel_size window (stride defaults to kernel_size;
    padding counts as -inf). With return_indices, also the flat position
    h * W + w of each maximum in its input plane (int64)."""
    op = "max_pool2d"
    _check_tensor(op, "input", input)
    params = (_int_arg(op, "kernel_size", kernel_size), _stride_arg(op, stride),
              _int_arg(op, "padding", padding), _int_arg(op, "dilation", dilation),
              bool(ceil_mode))
    out, indices = _C.max_pool2d(input._a, *params)
    indices = _make(indices)
    out = MaxPool2d.apply(input, out, indices, params) if _needs_graph(input) else _make(out)
    return (out, indices) if return_indices else out


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """The mean of each kernel_size window (stride defaults to kernel_size),
    divided by divisor_override if given, else by the window size counting
    (count_include_pad) or not counting the zero padding."""
    op = "avg_pool2d"
    _check_tensor(op, "input", input)
    if divisor_override is not None:
        divisor_override = _int_arg(op, "divisor_override", divisor_override)
        if len(divisor_override) != 1:
            raise TypeError(f"{op}: divisor_override must be an int or None")
        divisor_override = divisor_override[0]
    params = (_int_arg(op, "kernel_size", kernel_size), _stride_arg(op, stride),
              _int_arg(op, "padding", padding), bool(ceil_mode), bool(count_include_pad),
              divisor_override)
    if _needs_graph(input):
        return AvgPool2d.apply(input, params)
    return AvgPool2d.forward(None, input, params)
