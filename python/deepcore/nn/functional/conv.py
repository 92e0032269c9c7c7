"""dc.nn.functional: conv2d, a 2-D convolution (NCHW) by native im2col + GEMM.

The backward is native too: grad_weight = sum_n grad_out_n @ col_n^T,
grad_input = col2im(W^T @ grad_out_n), grad_bias = grad_out summed over all
dims but the channels; only the gradients the graph needs are computed.
"""
import numbers

from ... import _C
from ..._tensor import Tensor
from ...autograd import grad_mode
from ...autograd.function import Function

__all__ = ["conv2d"]

_make = Tensor._make


def _int_arg(op, name, v):
    """[v] or [h, w] for the native ops, which check values and lengths."""
    def is_int(x):
        return isinstance(x, numbers.Integral) and not isinstance(x, bool)
    if is_int(v):
        return [int(v)]
    if isinstance(v, (tuple, list)) and all(is_int(e) for e in v):
        return [int(e) for e in v]
    raise TypeError(f"{op}: {name} must be an int or a tuple of ints, got {v!r}")


def _check_tensor(op, name, t, optional=False):
    if not isinstance(t, Tensor) and not (optional and t is None):
        kind = "a Tensor or None" if optional else "a Tensor"
        raise TypeError(f"{op}: {name} must be {kind}, got {type(t).__name__}")


def _wrap(a):
    return None if a is None else _make(a)


class Conv2d(Function):
    @staticmethod
    def forward(ctx, input, weight, bias, stride, padding, dilation):
        out = _C.conv2d_forward(input._a, weight._a, None if bias is None else bias._a, stride,
                                padding, dilation)
        if ctx:
            ctx.save_for_backward(input, weight)
            ctx.geometry = (stride, padding, dilation)
        return _make(out)

    @staticmethod
    def backward(ctx, grad):
        input, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx, gw, gb = _C.conv2d_backward(grad._a, input._a, weight._a, *ctx.geometry,
                                        need[0], need[1], need[2])
        return _wrap(gx), _wrap(gw), _wrap(gb), None, None, None


class Conv2dRelu(Function):
    """relu(conv2d(...)) in one native pass each way: the relu runs on each
    output tile while it is in cache, and its backward masks grad_output as
    the conv's backward reads it. nn.Sequential runs this for a Conv2d
    followed by a ReLU; the result is the same as the two ops'."""

    @staticmethod
    def forward(ctx, input, weight, bias, stride, padding, dilation):
        out = _make(_C.conv2d_forward(input._a, weight._a, None if bias is None else bias._a,
                                      stride, padding, dilation, relu=True))
        if ctx:
            ctx.save_for_backward(input, weight, out)
            ctx.geometry = (stride, padding, dilation)
        return out

    @staticmethod
    def backward(ctx, grad):
        input, weight, out = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx, gw, gb = _C.conv2d_backward(grad._a, input._a, weight._a, *ctx.geometry,
                                        need[0], need[1], need[2], relu_output=out._a)
        return _wrap(gx), _wrap(gw), _wrap(gb), None, None, None


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution of input (N, C, H, W) or (C, H, W) with weight
    (C_out, C, kH, kW) plus bias (C_out,); stride, padding (zeros) and
    dilation are ints or (h, w) pairs. Only groups=1 is implemented."""
    return _conv2d(input, weight, bias, stride, padding, dilation, groups, relu=False)


def _conv2d(input, weight, bias, stride, padding, dilation, groups, relu):
    """conv2d, followed by relu (fused) when relu is True."""
    op = "conv2d"
    _check_tensor(op, "input", input)
    _check_tensor(op, "weight", weight)
    _check_tensor(op, "bias", bias, optional=True)
    if isinstance(padding, str):
        raise NotImplementedError(f"{op}: string padding ({padding!r}) is not supported; "
                                  "give the padding as an int or a pair")
    if groups != 1:
        raise NotImplementedError(f"{op}: only groups=1 is implemented, got groups={groups!r}")
    args = (_int_arg(op, "stride", stride), _int_arg(op, "padding", padding),
            _int_arg(op, "dilation", dilation))
    fn = Conv2dRelu if relu else Conv2d
    if grad_mode.state.enabled and (input._requires_grad or weight._requires_grad
                                    or (bias is not None and bias._requires_grad)):
        return fn.apply(input, weight, bias, *args)
    return fn.forward(None, input, weight, bias, *args)
