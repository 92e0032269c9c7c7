"""Conv2d: a 2-D convolution layer (NCHW) over dc.nn.functional.conv2d."""
import math
import numbers

from ... import _creation
from .. import functional as F, init
from ..functional.conv import _conv2d
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv2d"]


def _pair(name, v):
    """An int or a pair of ints as a 2-tuple (as PyTorch stores them)."""
    def is_int(x):
        return isinstance(x, numbers.Integral) and not isinstance(x, bool)
    if is_int(v):
        return (int(v), int(v))
    if isinstance(v, (tuple, list)) and len(v) == 2 and all(is_int(e) for e in v):
        return (int(v[0]), int(v[1]))
    raise TypeError(f"Conv2d: {name} must be an int or a pair of ints, got {v!r}")


class Conv2d(Module):
    """Applies conv2d(input, weight, bias, stride, padding, dilation); weight is
    (out_channels, in_channels, kH, kW). Only groups=1 and zero padding."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"Conv2d: {name} must be a positive int, got {v!r}")
        if groups != 1:
            raise NotImplementedError(f"Conv2d: only groups=1 is implemented, got {groups!r}")
        if padding_mode != "zeros":
            raise NotImplementedError(f"Conv2d: only padding_mode='zeros' is implemented, got "
                                      f"{padding_mode!r}")
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = _pair("kernel_size", kernel_size)
        self.stride = _pair("stride", stride)
        self.padding = _pair("padding", padding)
        self.dilation = _pair("dilation", dilation)
        self.groups = 1
        self.padding_mode = padding_mode
        if min(self.kernel_size) <= 0:
            raise ValueError(f"Conv2d: kernel_size must be positive, got {kernel_size!r}")
        self.weight = Parameter(_creation.empty(self.out_channels, self.in_channels,
                                                *self.kernel_size, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(_creation.empty(self.out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: weight kaiming_uniform_(a=sqrt(5)), i.e.
        U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels*kH*kW,
        and bias from the same range."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def _forward_relu(self, input):
        """relu(self(input)) as one fused op (see nn.Sequential)."""
        return _conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                       1, relu=True)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.bias is None:
            s += ", bias=False"
        return s
