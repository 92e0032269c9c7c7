"""Elementwise ops: arithmetic, math, comparisons, where, clamp, casts.

Each differentiable op is a Function with its backward beside its forward;
``sum_to`` undoes broadcasting. Python scalars become 0-d tensors of the
other operand's dtype (ints into bool tensors give int64, floats into
integer tensors give float32), as PyTorch's scalar promotion.
"""
import builtins
import numbers

import numpy as np

from .. import _C
from .._dtype import bool_, float32, int64
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.function import Function, sum_to

_make = Tensor._make


def _scalar_kind(x):
    """bool, int or float: the kind of Python or numpy number x (None if x is
    no number). Exact types first: the numbers ABCs cost ~1 us per check."""
    t = type(x)
    if t is float:
        return float
    if t is int:
        return int
    if t is bool or isinstance(x, np.bool_):
        return bool
    if isinstance(x, numbers.Integral):
        return int
    if isinstance(x, numbers.Real):
        return float
    return None


def _scalar_tensor(x, like):
    """A 0-d tensor holding Python number x on `like`'s device (None if x is no number)."""
    kind = _scalar_kind(x)
    if kind is bool:
        dt = like.dtype
    elif kind is int:
        dt = int64 if like.dtype is bool_ else like.dtype
        if builtins.abs(int(x)) > 2 ** 53 and dt is int64:  # not exact as a double
            s = _C.from_numpy(np.array(int(x), dtype=np.int64))
            return _make(s if like._a.device.type == 0 else _C.to_device(s, like._a.device))
    elif kind is float:
        dt = like.dtype if like.dtype.is_floating_point else float32
    else:
        return None
    dev = like._a.device
    # A GPU scalar is filled on the device: no host buffer, no copy.
    return _make(_C.scalar(float(x), dt._c) if dev.type == 0 else _C.full([], float(x), dt._c, dev))


def _operand(x, like):
    """x as a Tensor to combine with tensor `like`, or None if x is no operand."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        from .._creation import tensor
        return tensor(x, device=like.device)
    return _scalar_tensor(x, like)


def _operands(op, a, b):
    if isinstance(a, Tensor):
        arr = a._a
        # The common `x * 0.5` on a floating CPU tensor: straight to a 0-d array.
        if type(b) is float and arr.dtype_index >= 2 and arr.device.type == 0:
            return a, _make(_C.scalar(b, arr.dtype))
        b2 = _operand(b, a)
        a2 = a
    elif isinstance(b, Tensor):
        a2 = _operand(a, b)
        b2 = b
    else:
        raise TypeError(f"{op}: expected at least one tensor, got {type(a).__name__} and "
                        f"{type(b).__name__}")
    if a2 is None or b2 is None:
        bad = a if a2 is None else b
        raise TypeError(f"{op}: unsupported operand type {type(bad).__name__}")
    return a2, b2


def _binary(fn, native, name):
    """The public function of a binary op: a fast path when no graph is needed."""
    def op(input, other):
        if not (isinstance(input, Tensor) and isinstance(other, Tensor)):
            input, other = _operands(name, input, other)
        if (input._requires_grad or other._requires_grad) and grad_mode.state.enabled:
            return fn.apply(input, other)
        return _make(native(input._a, other._a))
    op.__name__ = op.__qualname__ = name
    return op


def _unary(fn, name):
    def op(input):
        if input._requires_grad and grad_mode.state.enabled:
            return fn.apply(input)
        return fn.forward(None, input)
    op.__name__ = op.__qualname__ = name
    return op


# ---------------------------------------------------------------- arithmetic
class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = a.shape, b.shape
        return _make(_C.add(a._a, b._a))

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        need = ctx.needs_input_grad
        return sum_to(grad, sa) if need[0] else None, sum_to(grad, sb) if need[1] else None


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = a.shape, b.shape
        return _make(_C.sub(a._a, b._a))

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        need = ctx.needs_input_grad
        return sum_to(grad, sa) if need[0] else None, sum_to(-grad, sb) if need[1] else None


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _make(_C.mul(a._a, b._a))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = sum_to(grad * b, a.shape) if ctx.needs_input_grad[0] else None
        gb = sum_to(grad * a, b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _make(_C.div(a._a, b._a))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = sum_to(grad / b, a.shape) if ctx.needs_input_grad[0] else None
        gb = sum_to(-grad * a / (b * b), b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb


class Pow(Function):
    @staticmethod
    def forward(ctx, a, b):
        out = _make(_C.pow(a._a, b._a))
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            # b * a**(b-1); written with where so that a == 0, b == 0 gives 0, not nan.
            ga = sum_to(grad * where(b == 0, 0.0, b * pow(a, b - 1)), a.shape)
        if ctx.needs_input_grad[1]:
            # a**b * log(a), defined as 0 where a == 0 and b >= 0 (PyTorch's convention).
            gb = sum_to(grad * where((a == 0) & (b >= 0), 0.0, out * log(a)), b.shape)
        return ga, gb


class Maximum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _make(_C.maximum(a._a, b._a))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _select_grad(grad, a, b, a > b, ctx.needs_input_grad)


class Minimum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _make(_C.minimum(a._a, b._a))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _select_grad(grad, a, b, a < b, ctx.needs_input_grad)


def _select_grad(grad, a, b, a_wins, needs):
    """maximum/minimum backward: the winner gets the gradient, ties split it."""
    tie = (a == b).to(grad.dtype) * 0.5
    wa = a_wins.to(grad.dtype) + tie
    ga = sum_to(grad * wa, a.shape) if needs[0] else None
    gb = sum_to(grad * (1.0 - wa), b.shape) if needs[1] else None
    return ga, gb


add = _binary(Add, _C.add, "add")
sub = _binary(Sub, _C.sub, "sub")
mul = _binary(Mul, _C.mul, "mul")
div = _binary(Div, _C.div, "div")
pow = _binary(Pow, _C.pow, "pow")
maximum = _binary(Maximum, _C.maximum, "maximum")
minimum = _binary(Minimum, _C.minimum, "minimum")
subtract, multiply, divide, true_divide = sub, mul, div, div


def _nograd_binary(native, name):
    def op(input, other):
        a, b = _operands(name, input, other)
        return _make(native(a._a, b._a))
    op.__name__ = op.__qualname__ = name
    return op


eq = _nograd_binary(_C.eq, "eq")
ne = _nograd_binary(_C.ne, "ne")
lt = _nograd_binary(_C.lt, "lt")
le = _nograd_binary(_C.le, "le")
gt = _nograd_binary(_C.gt, "gt")
ge = _nograd_binary(_C.ge, "ge")
bitwise_and = _nograd_binary(_C.bitwise_and, "bitwise_and")
bitwise_or = _nograd_binary(_C.bitwise_or, "bitwise_or")
bitwise_xor = _nograd_binary(_C.bitwise_xor, "bitwise_xor")
logical_and, logical_or, logical_xor = bitwise_and, bitwise_or, bitwise_xor


def bitwise_not(input):
    return _make(_C.bitwise_not(input._a))


def logical_not(input):
    return _make(_C.bitwise_not(_C.to_dtype(input._a, bool_._c, False)))


def isnan(input):
    return _make(_C.isnan(input._a))


def sign(input):
    return _make(_C.sign(input._a))


def _reversed(op):
    def rop(self, other):
        return op(other, self)
    return rop


# ---------------------------------------------------------------- unary math
class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return _make(_C.neg(x._a))

    @staticmethod
    def backward(ctx, grad):
        return -grad


def _pointwise(name, native, derivative, saves):
    """A unary op whose backward is derivative(grad, saved), where the saved
    tensor is the op's input or output (whichever the formula needs)."""
    def forward(ctx, x):
        out = _make(native(x._a))
        if ctx:
            ctx.save_for_backward(x if saves == "input" else out)
        return out

    def backward(ctx, grad):
        saved, = ctx.saved_tensors
        return derivative(grad, saved)

    return type(name, (Function,), {"forward": staticmethod(forward),
                                    "backward": staticmethod(backward)})


# One line per op, as PyTorch's derivatives.yaml: d(op)/dx in terms of x or of out.
Abs = _pointwise("Abs", _C.abs, lambda g, x: g * sign(x), "input")
Exp = _pointwise("Exp", _C.exp, lambda g, out: g * out, "output")
Log = _pointwise("Log", _C.log, lambda g, x: g / x, "input")
Sqrt = _pointwise("Sqrt", _C.sqrt, lambda g, out: g / (2.0 * out), "output")
Sin = _pointwise("Sin", _C.sin, lambda g, x: g * cos(x), "input")
Cos = _pointwise("Cos", _C.cos, lambda g, x: -g * sin(x), "input")
# tanh, sigmoid, relu: one fused native pass (2.5-3x faster than the composed formulas).
Tanh = _pointwise("Tanh", _C.tanh, lambda g, out: _make(_C.tanh_backward(g._a, out._a)), "output")
Sigmoid = _pointwise("Sigmoid", _C.sigmoid,
                     lambda g, out: _make(_C.sigmoid_backward(g._a, out._a)), "output")
Relu = _pointwise("Relu", _C.relu, lambda g, out: _make(_C.relu_backward(g._a, out._a)), "output")


neg = _unary(Neg, "neg")
negative = neg
abs = _unary(Abs, "abs")
exp = _unary(Exp, "exp")
log = _unary(Log, "log")
sqrt = _unary(Sqrt, "sqrt")
sin = _unary(Sin, "sin")
cos = _unary(Cos, "cos")
tanh = _unary(Tanh, "tanh")
sigmoid = _unary(Sigmoid, "sigmoid")
relu = _unary(Relu, "relu")


def square(input):
    return mul(input, input)


def rsqrt(input):
    return div(1.0, sqrt(input))


# ---------------------------------------------------------------- clamp, where
class Clamp(Function):
    @staticmethod
    def forward(ctx, x, min, max):
        if ctx:
            ctx.save_for_backward(x)
            ctx.bounds = min, max
        return _make(_C.clamp(x._a, min, max))

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        lo, hi = ctx.bounds
        keep = None
        if lo is not None:
            keep = x >= lo
        if hi is not None:
            keep = (x <= hi) if keep is None else keep & (x <= hi)
        return grad * keep.to(grad.dtype), None, None


def clamp(input, min=None, max=None):
    """Limits values to [min, max]; gradient 1 inside (bounds included), 0 outside."""
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    for v in (min, max):
        if v is not None and not isinstance(v, numbers.Real):
            raise TypeError(f"clamp: bounds must be numbers or tensors, got {type(v).__name__}")
    lo = None if min is None else float(min)
    hi = None if max is None else float(max)
    if input._requires_grad and grad_mode.state.enabled:
        return Clamp.apply(input, lo, hi)
    return Clamp.forward(None, input, lo, hi)


clip = clamp


class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        if ctx:
            ctx.cond = cond
            ctx.shapes = a.shape, b.shape
        return _make(_C.where(cond._a, a._a, b._a))

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        zero = _scalar_tensor(0.0, grad)
        ga = sum_to(where(ctx.cond, grad, zero), sa) if ctx.needs_input_grad[1] else None
        gb = sum_to(where(ctx.cond, zero, grad), sb) if ctx.needs_input_grad[2] else None
        return None, ga, gb


def where(condition, input, other):
    """input where condition else other, with broadcasting (condition must be bool)."""
    if not isinstance(condition, Tensor):
        raise TypeError(f"where: condition must be a bool tensor, got {type(condition).__name__}")
    like = input if isinstance(input, Tensor) else other
    if not isinstance(like, Tensor):
        like = condition
    a, b = _operand(input, like), _operand(other, like)
    if a is None or b is None:
        raise TypeError("where: input and other must be tensors or numbers")
    if (a._requires_grad or b._requires_grad) and grad_mode.state.enabled:
        return Where.apply(condition, a, b)
    return Where.forward(None, condition, a, b)


# ---------------------------------------------------------------- casts, copies
class Cast(Function):
    @staticmethod
    def forward(ctx, x, dtype):
        if ctx:
            ctx.dtype = x.dtype
        return _make(_C.to_dtype(x._a, dtype._c, False))

    @staticmethod
    def backward(ctx, grad):
        return (grad.to(ctx.dtype) if ctx.dtype.is_floating_point else None), None


def _cast(x, dtype):
    return Cast.apply(x, dtype)


class Move(Function):
    @staticmethod
    def forward(ctx, x, device):
        if ctx:
            ctx.device = x.device
        return _make(_C.to_device(x._a, device._c))

    @staticmethod
    def backward(ctx, grad):
        return grad.to(ctx.device), None


def _move(x, device):
    return Move.apply(x, device)


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return _make(_C.to_dtype(x._a, x._a.dtype, True))

    @staticmethod
    def backward(ctx, grad):
        return grad


clone = _unary(Clone, "clone")


# ---------------------------------------------------------------- in-place (no graph)
def _check_inplace(t, op):
    if grad_mode.state.enabled and t._requires_grad:
        raise RuntimeError(
            f"{op}: in-place operations on a tensor that requires grad are not supported by "
            "deepcore's autograd (a leaf would lose its history, a saved value would go stale); "
            "use the out-of-place op, or wrap parameter updates in dc.no_grad()")


def copy_(self, src):
    """Copies src (broadcast, converted) into self in place."""
    _check_inplace(self, "copy_")
    if not isinstance(src, Tensor):
        src = _operand(src, self)
        if src is None:
            raise TypeError("copy_: expected a tensor or a number")
    if src._requires_grad and grad_mode.state.enabled:
        raise RuntimeError("copy_: copying a tensor that requires grad in place would lose its "
                           "gradient; use .detach() or dc.no_grad()")
    _C.copy_(self._a, src._a)
    return self


_RANK = {"bool": 0, "int64": 1, "float32": 2, "float64": 3}


def _inplace(op, name):
    def method(self, other):
        _check_inplace(self, name)
        result = op(self, other)
        if _RANK[result.dtype.name] > _RANK[self.dtype.name]:
            raise TypeError(f"{name}: result type {result.dtype} can't be cast to the "
                            f"tensor's dtype {self.dtype}")
        if result.shape != self.shape:
            raise RuntimeError(f"{name}: output with shape {self.shape} doesn't match the "
                               f"broadcast shape {result.shape}")
        _C.copy_(self._a, result._a)
        return self
    method.__name__ = name
    return method


def zero_(self):
    _check_inplace(self, "zero_")
    _C.fill_(self._a, 0.0)
    return self


def fill_(self, value):
    _check_inplace(self, "fill_")
    if isinstance(value, Tensor):
        if value.device == self.device and value.numel() == 1:
            # Broadcast from the device: no round trip through the host.
            _C.copy_(self._a, _C.reshape(value._a, []))
            return self
        value = value.item()
    _C.fill_(self._a, float(value))
    return self


def clamp_(self, min=None, max=None):
    _check_inplace(self, "clamp_")
    _C.copy_(self._a, clamp(self, min, max)._a)
    return self


__all__ = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "subtract", "multiply",
           "divide", "true_divide", "eq", "ne", "lt", "le", "gt", "ge", "bitwise_and",
           "bitwise_or", "bitwise_xor", "bitwise_not", "logical_and", "logical_or",
           "logical_xor", "logical_not", "isnan", "sign", "neg", "negative", "abs", "exp", "log",
           "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "square", "rsqrt", "clamp", "clip",
           "where", "clone"]

_add_, _sub_, _mul_, _div_ = (_inplace(f, n) for f, n in
                              ((add, "add_"), (sub, "sub_"), (mul, "mul_"), (div, "div_")))

METHODS = {
    **{name: globals()[name] for name in __all__ if name not in ("where",)},
    "where": lambda self, condition, other: where(condition, self, other),
    "__add__": add, "__radd__": _reversed(add),
    "__sub__": sub, "__rsub__": _reversed(sub),
    "__mul__": mul, "__rmul__": _reversed(mul),
    "__truediv__": div, "__rtruediv__": _reversed(div),
    "__pow__": pow, "__rpow__": _reversed(pow),
    "__neg__": neg, "__abs__": abs, "__pos__": lambda self: self,
    "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "__and__": bitwise_and, "__rand__": _reversed(bitwise_and),
    "__or__": bitwise_or, "__ror__": _reversed(bitwise_or),
    "__xor__": bitwise_xor, "__rxor__": _reversed(bitwise_xor),
    "__invert__": bitwise_not,
    "add_": _add_, "sub_": _sub_, "mul_": _mul_, "div_": _div_,
    "__iadd__": _add_, "__isub__": _sub_, "__imul__": _mul_, "__itruediv__": _div_,
    "copy_": copy_, "zero_": zero_, "fill_": fill_, "clamp_": clamp_,
    "_cast": _cast, "_move": _move,  # used by Tensor.to
}
