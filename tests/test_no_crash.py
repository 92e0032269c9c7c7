"""Bad input never crashes: every op, fed odd inputs, returns or raises a Python error.

A crash (segfault, abort) would take the whole pytest process down, so this
file passing means no combination below reaches a kernel unchecked. The
specific messages are tested beside each op; here only the exception types.
"""
import itertools

import numpy as np
import pytest

import deepcore as dc
from conftest import call_allowing_errors as call


def odd_tensors():
    nan = float("nan")
    return {
        "empty": dc.zeros(0),
        "empty2d": dc.zeros(0, 3),
        "scalar": dc.tensor(2.0),
        "f32": dc.tensor([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]]),
        "f64": dc.tensor([[1.0, 2.0, 3.0]], dtype=dc.float64),
        "i64": dc.tensor([[1, 2, 3], [4, 5, 6]]),
        "bool": dc.tensor([True, False, True]),
        "nan": dc.tensor([nan, 1.0, nan]),
        "view": dc.arange(12.0).reshape(3, 4).transpose(0, 1),
        "expanded": dc.ones(1, 3).expand(4, 3),
        "big1": dc.zeros(1, 1, 1, 1, 1, 1, 1, 1),
    }


ARGS = [0, 1, -1, 2, 5, -7, 2 ** 62, -(2 ** 62), None, (0, 1), (0, 0), [], 1.5, "x"]


UNARY = ["neg", "abs", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "sign",
         "isnan", "bitwise_not", "clone", "contiguous", "flatten", "squeeze", "sum", "mean",
         "amax", "amin", "max", "min", "argmax", "argmin", "var", "std", "t"]
BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "lt", "ge",
          "bitwise_and", "bitwise_or", "matmul", "where_"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops_on_odd_tensors(name):
    for t in odd_tensors().values():
        fn = getattr(dc, name)
        call(fn, t)
        for a in ARGS:
            call(fn, t, a)


@pytest.mark.parametrize("name", BINARY)
def test_binary_ops_on_odd_pairs(name):
    ts = odd_tensors()
    for (_, a), (_, b) in itertools.product(ts.items(), ts.items()):
        if name == "where_":
            call(dc.where, a > 0 if a.dtype != dc.bool else a, a, b)
            call(dc.where, a, a, b)
        else:
            call(getattr(dc, name), a, b)
    for a in ts.values():
        for other in (1, 2.5, True, None, "s", [1, 2], np.ones(3)):
            call(getattr(dc, name) if name != "where_" else dc.maximum, a, other)


@pytest.mark.parametrize("method,arity", [("reshape", 1), ("view", 1), ("permute", 1),
                                          ("transpose", 2), ("expand", 1), ("unsqueeze", 1),
                                          ("squeeze", 1), ("flatten", 2), ("narrow", 3),
                                          ("split", 2), ("chunk", 2), ("size", 1), ("sum", 2),
                                          ("max", 1), ("var", 1), ("clamp", 2)])
def test_shape_args_out_of_range(method, arity):
    for t in odd_tensors().values():
        for args in itertools.product(ARGS[:10], repeat=arity):
            call(getattr(t, method), *args)


def test_indexing_with_odd_keys():
    keys = [0, -1, 100, -100, 2 ** 62, slice(None), slice(5, 1), slice(None, None, 2),
            slice(None, None, -1), slice(None, None, 0), None, Ellipsis, (0, 0), (0, 0, 0, 0),
            [0, 1], [5], [-10], [[0], [1]], [], dc.tensor([0, 2]), dc.tensor([True, False]),
            dc.tensor([[True]]), dc.tensor([0.5]), dc.zeros(0, dtype=dc.int64), "a", 1.5,
            (Ellipsis, Ellipsis), (None, 0, slice(1, 2)), dc.tensor(1), np.array([0, 1])]
    for t in odd_tensors().values():
        for k in keys:
            call(t.__getitem__, k)
            c = t.clone() if t.numel() else t
            call(c.__setitem__, k, 1.0)
            call(c.__setitem__, k, dc.ones(7))


def test_creation_with_odd_sizes():
    for fn in (dc.zeros, dc.ones, dc.empty, dc.rand, dc.randn):
        for size in [(-1,), (2 ** 31, 2 ** 31, 2 ** 31), (0,), (), (1.5,), ("a",), (None,),
                     ([2, -3],), (2 ** 63 - 1,)]:
            call(fn, *size)
    for args in [(0, 0, (2,)), (5, 1, (2,)), (0, 10, (-1,)), (0, 2 ** 62, (3,)),
                 (-(2 ** 63), 2 ** 63 - 1, (3,))]:
        call(dc.randint, *args)
    for args in [(0, 1e300, 1e-300), (0, 10, 0), (float("nan"), 1), (0, -5, 1), (5,), (2 ** 60,)]:
        call(dc.arange, *args)


def test_backward_with_odd_gradients():
    x = dc.ones(2, 3, requires_grad=True)
    y = x * 2
    for g in [dc.ones(3), dc.ones(2, 3, dtype=dc.float64), dc.ones(2, 3, dtype=dc.int64),
              "g", 1.0, None]:
        call(y.backward, g, retain_graph=True)
