"""Elementwise ops: forward against numpy, backward by gradcheck, dtype rules, errors."""
import math

import numpy as np
import pytest

import deepcore as dc
from deepcore.autograd import gradcheck
from conftest import assert_close, available_isas, leaf, make

SHAPE_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)),
               ((), (3,)), ((), ()), ((0, 3), (3,)), ((1,), (5,)), ((2, 0), (2, 1)),
               ((4, 1, 3), (2, 1))]

BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
          "maximum": np.maximum, "minimum": np.minimum}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("sa,sb", SHAPE_PAIRS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_forward(name, sa, sb, dtype):
    a, ta = make(sa, dtype, seed=1)
    b, tb = make(sb, dtype, seed=2, low=0.5, high=2.0)
    out = getattr(dc, name)(ta, tb)
    assert_close(out, BINARY[name](a, b), rtol=1e-6 if dtype == "float32" else 1e-12,
                 dtype=getattr(dc, dtype))


@pytest.mark.parametrize("name", ["add", "sub", "mul", "maximum", "minimum"])
def test_binary_int64(name):
    a, ta = make((4, 5), "int64", seed=3)
    b, tb = make((5,), "int64", seed=4)
    assert_close(getattr(dc, name)(ta, tb), BINARY[name](a, b), dtype=dc.int64)


def test_noncontiguous_operands():
    a, ta = make((5, 7), "float64", noncontig=True, seed=5)
    b, tb = make((5, 7), "float64", noncontig=True, seed=6)
    assert_close(ta * tb + ta, a * b + a)
    # a broadcast row of a transposed view
    assert_close(ta + tb.transpose(0, 1).contiguous().transpose(0, 1), a + b)


def test_operators_and_reflected_scalars():
    a, ta = make((3, 4), "float32", seed=7, low=0.5, high=2)
    assert_close(ta + 2, a + 2)
    assert_close(2 + ta, 2 + a)
    assert_close(ta - 1.5, a - 1.5)
    assert_close(1.5 - ta, 1.5 - a)
    assert_close(ta * 3, a * 3)
    assert_close(3 * ta, 3 * a)
    assert_close(ta / 4, a / 4)
    assert_close(4 / ta, 4 / a, rtol=1e-6)
    assert_close(ta ** 2, a ** 2, rtol=1e-6)
    assert_close(2 ** ta, 2 ** a, rtol=1e-6)
    assert_close(-ta, -a)
    assert_close(abs(-ta), a)
    assert (ta + 2).dtype == dc.float32


def test_numpy_operand_on_either_side():
    a, ta = make((2, 3), "float64", seed=8)
    b = np.arange(3.0)
    assert_close(ta + b, a + b)
    out = b + ta  # numpy defers to Tensor.__radd__ thanks to __array_priority__
    assert isinstance(out, dc.Tensor)
    assert_close(out, a + b)


def test_scalar_promotion_rules():
    ti = dc.tensor([1, 2, 3])
    assert ti.dtype == dc.int64
    assert (ti + 1).dtype == dc.int64
    assert (ti + 1.5).dtype == dc.float32
    assert_close(ti + 1.5, np.array([2.5, 3.5, 4.5], dtype=np.float32))
    tb = dc.tensor([True, False])
    assert (tb + 1).dtype == dc.int64
    assert (tb + True).dtype == dc.bool
    assert_close(tb + tb, np.array([True, False]))
    td = dc.tensor([1.0, 2.0], dtype=dc.float64)
    assert (td * 2).dtype == dc.float64
    assert (td * 2.5).dtype == dc.float64


def test_tensor_promotion_rules():
    ti = dc.tensor([1, 2])
    tf = dc.tensor([0.5, 0.25])
    assert (ti + tf).dtype == dc.float32
    assert_close(ti + tf, np.array([1.5, 2.25], dtype=np.float32))
    assert (dc.tensor([True]) + dc.tensor([1])).dtype == dc.int64
    # true division of integers gives float32
    q = dc.tensor([1, 3]) / dc.tensor([2, 2])
    assert q.dtype == dc.float32
    assert_close(q, np.array([0.5, 1.5], dtype=np.float32))


def test_mixed_float_widths_raise_naming_both():
    a = dc.ones(3)
    b = dc.ones(3, dtype=dc.float64)
    for op in (lambda: a + b, lambda: b * a, lambda: dc.maximum(a, b), lambda: a < b):
        with pytest.raises(TypeError, match="float32 and float64"):
            op()


def test_bool_arithmetic_rules():
    t = dc.tensor([True, False])
    with pytest.raises(TypeError, match="sub"):
        t - t
    with pytest.raises(TypeError, match="neg"):
        -t
    assert_close(~t, np.array([False, True]))
    assert_close(t & dc.tensor([True, True]), np.array([True, False]))
    assert_close(t | dc.tensor([False, True]), np.array([True, True]))
    assert_close(t ^ dc.tensor([True, True]), np.array([False, True]))
    with pytest.raises(TypeError, match="bitwise_and"):
        dc.ones(2) & dc.ones(2)


def test_integer_pow():
    assert_close(dc.tensor([2, 3, -2]) ** 3, np.array([8, 27, -8]), dtype=dc.int64)
    assert_close(dc.tensor([2, 3]) ** dc.tensor([0, 1]), np.array([1, 3]))
    with pytest.raises(RuntimeError, match="negative integer powers"):
        dc.tensor([2, 3]) ** -1


UNARY = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos,
         "tanh": np.tanh, "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
         "relu": lambda x: np.maximum(x, 0), "abs": np.abs, "neg": np.negative,
         "sign": np.sign}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", [(), (0,), (7,), (3, 5), (2, 1, 4)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_forward(name, shape, dtype):
    positive = name in ("log", "sqrt")
    a, t = make(shape, dtype, low=0.1 if positive else -3, high=3, seed=11)
    assert_close(getattr(dc, name)(t), UNARY[name](a.astype(np.float64)).astype(a.dtype),
                 rtol=2e-6 if dtype == "float32" else 1e-12, atol=1e-7,
                 dtype=getattr(dc, dtype))
    assert_close(getattr(t, name)(), UNARY[name](a.astype(np.float64)).astype(a.dtype),
                 rtol=2e-6 if dtype == "float32" else 1e-12, atol=1e-7)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid"])
def test_math_on_integers_gives_float32(name):
    t = dc.tensor([1, 2, 4])
    out = getattr(dc, name)(t)
    assert out.dtype == dc.float32
    assert_close(out, UNARY[name](np.array([1.0, 2.0, 4.0])).astype(np.float32), rtol=1e-6)


def test_unary_noncontiguous():
    a, t = make((4, 6), "float32", noncontig=True, seed=12)
    assert_close(dc.tanh(t), np.tanh(a), rtol=1e-6)
    assert_close(dc.relu(t), np.maximum(a, 0))


def test_sigmoid_and_tanh_are_stable_at_extremes():
    x = dc.tensor([-1000.0, -100.0, 0.0, 100.0, 1000.0])
    s = dc.sigmoid(x).numpy()
    assert np.all(np.isfinite(s))
    np.testing.assert_allclose(s, [0.0, 0.0, 0.5, 1.0, 1.0], atol=1e-30)
    np.testing.assert_allclose(dc.tanh(x).numpy(), [-1, -1, 0, 1, 1])


def test_nan_propagation():
    nan = float("nan")
    x = dc.tensor([nan, 1.0, -2.0])
    y = dc.tensor([0.0, nan, 5.0])
    assert_close(dc.maximum(x, y), np.array([nan, nan, 5.0], dtype=np.float32))
    assert_close(dc.minimum(x, y), np.array([nan, nan, -2.0], dtype=np.float32))
    assert_close(dc.clamp(x, -1, 0.5), np.array([nan, 0.5, -1.0], dtype=np.float32))
    assert_close(dc.relu(x), np.array([nan, 1.0, 0.0], dtype=np.float32))
    assert_close(dc.isnan(x), np.array([True, False, False]))


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
@pytest.mark.parametrize("sa,sb", SHAPE_PAIRS[:6])
def test_comparisons(op, sa, sb):
    a, ta = make(sa, "int64", seed=13)
    b, tb = make(sb, "int64", seed=14)
    ref = getattr(np, {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
                       "gt": "greater", "ge": "greater_equal"}[op])(a, b)
    out = getattr(dc, op)(ta, tb)
    assert out.dtype == dc.bool
    assert_close(out, ref)
    assert not out.requires_grad


def test_comparison_operators_and_scalars():
    t = dc.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert_close(t > 1.5, np.array([False, True, True]))
    assert_close(t == 2, np.array([False, True, False]))
    assert_close(2 < t, np.array([False, False, True]))
    assert not (t > 1).requires_grad


def test_where_and_clamp():
    a, ta = make((3, 4), "float64", seed=15)
    b, tb = make((4,), "float64", seed=16)
    cond = ta > 0
    assert_close(dc.where(cond, ta, tb), np.where(a > 0, a, b))
    assert_close(dc.where(cond, ta, 0.0), np.where(a > 0, a, 0.0))
    assert_close(dc.where(cond, 1.0, ta), np.where(a > 0, 1.0, a))
    assert_close(ta.clamp(-0.5, 0.5), np.clip(a, -0.5, 0.5))
    assert_close(dc.clamp(ta, min=0), np.maximum(a, 0))
    assert_close(dc.clamp(ta, max=0), np.minimum(a, 0))
    ti = dc.tensor([-3, 0, 7])
    assert_close(ti.clamp(-1, 2), np.array([-1, 0, 2]), dtype=dc.int64)
    assert ti.clamp(-1.5, 2).dtype == dc.float32
    with pytest.raises(TypeError, match="where: condition must be a bool"):
        dc.where(ta, ta, tb)
    with pytest.raises(ValueError, match="clamp"):
        dc.clamp(ta)


def test_tensor_bounds_in_clamp():
    a, ta = make((5,), "float64", seed=17)
    lo = dc.tensor(np.full(5, -0.5))
    assert_close(dc.clamp(ta, lo, 0.5), np.clip(a, -0.5, 0.5))


# -------------------------------------------------------------- gradients
def _leaves(*shapes, low=-2.0, high=2.0, seed=0):
    rng = np.random.default_rng(seed)
    return [leaf(rng.uniform(low, high, size=s)) for s in shapes]


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
@pytest.mark.parametrize("sa,sb", [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)),
                                   ((), (3,)), ((2, 3, 1), (3, 4))])
def test_binary_gradcheck(name, sa, sb):
    a, b = _leaves(sa, sb, low=0.5, high=2.0, seed=1)
    assert gradcheck(getattr(dc, name), (a, b))


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_gradcheck(name):
    a, b = _leaves((4, 3), (3,), seed=2)
    assert gradcheck(getattr(dc, name), (a, b))


def test_maximum_splits_gradient_on_ties():
    a = dc.tensor([1.0, 2.0], requires_grad=True)
    b = dc.tensor([1.0, 3.0], requires_grad=True)
    dc.maximum(a, b).backward(dc.ones(2))
    assert_close(a.grad, np.array([0.5, 0.0], dtype=np.float32))
    assert_close(b.grad, np.array([0.5, 1.0], dtype=np.float32))


def test_pow_gradcheck():
    a, b = _leaves((3, 4), (4,), low=0.5, high=2.0, seed=3)
    assert gradcheck(dc.pow, (a, b))
    assert gradcheck(lambda x: x ** 3, (a,))
    assert gradcheck(lambda x: 2.0 ** x, (a,))


def test_pow_gradient_at_zero_is_finite():
    x = dc.tensor([0.0, 1.0], dtype=dc.float64, requires_grad=True)
    (x ** 2.0).backward(dc.ones(2, dtype=dc.float64))
    assert_close(x.grad, np.array([0.0, 2.0]))
    e = dc.tensor([2.0, 2.0], dtype=dc.float64, requires_grad=True)
    (dc.tensor([0.0, 1.0], dtype=dc.float64) ** e).backward(dc.ones(2, dtype=dc.float64))
    assert_close(e.grad, np.array([0.0, 0.0]))


@pytest.mark.parametrize("name", sorted(set(UNARY) - {"sign"}))
def test_unary_gradcheck(name):
    low = 0.2 if name in ("log", "sqrt") else -2.0
    x, = _leaves((3, 4), low=low, seed=4)
    if name in ("abs", "relu"):  # keep away from the kink at 0
        x = leaf(np.where(np.abs(x.detach().numpy()) < 0.1, 0.5, x.detach().numpy()))
    assert gradcheck(getattr(dc, name), (x,))


def test_clamp_gradcheck_and_boundary():
    x = leaf(np.array([-2.0, -0.3, 0.2, 1.7]))
    assert gradcheck(lambda t: dc.clamp(t, -1.0, 1.0), (x,))
    # gradient passes at the bounds themselves, as PyTorch
    y = dc.tensor([-1.0, 1.0], dtype=dc.float64, requires_grad=True)
    dc.clamp(y, -1.0, 1.0).backward(dc.ones(2, dtype=dc.float64))
    assert_close(y.grad, np.array([1.0, 1.0]))


def test_where_gradcheck():
    a, b = _leaves((3, 4), (4,), seed=5)
    cond = dc.tensor(np.random.default_rng(0).random((3, 4)) > 0.5)
    assert gradcheck(lambda x, y: dc.where(cond, x, y), (a, b))


def test_cast_gradient():
    x = dc.tensor([1.0, 2.0], dtype=dc.float64, requires_grad=True)
    y = x.float()
    assert y.dtype == dc.float32 and y.requires_grad
    (y * 2).backward(dc.ones(2))
    assert x.grad.dtype == dc.float64
    assert_close(x.grad, np.array([2.0, 2.0]))


# -------------------------------------------------------------- in place
def test_inplace_ops():
    a, t = make((2, 3), "float32", seed=20)
    t.add_(1.0)
    np.testing.assert_allclose(t.numpy(), a + 1, rtol=1e-6)
    t.mul_(dc.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(t.numpy(), (a + 1) * [1, 2, 3], rtol=1e-6)
    t += 1
    t -= 1
    t *= 2
    t /= 2
    np.testing.assert_allclose(t.numpy(), (a + 1) * [1, 2, 3], rtol=1e-6)
    t.zero_()
    assert not t.numpy().any()
    t.fill_(3)
    assert (t.numpy() == 3).all()
    t.copy_(dc.tensor([7.0, 8.0, 9.0]))
    np.testing.assert_array_equal(t.numpy(), [[7, 8, 9], [7, 8, 9]])


def test_inplace_shape_and_dtype_rules():
    t = dc.zeros(3)
    with pytest.raises(RuntimeError, match="add_"):
        t.add_(dc.ones(2, 3))
    ti = dc.zeros(3, dtype=dc.int64)
    with pytest.raises(TypeError, match="add_"):
        ti.add_(1.5)
    ti.add_(2)
    np.testing.assert_array_equal(ti.numpy(), [2, 2, 2])


def test_inplace_on_leaf_requiring_grad_raises_but_works_under_no_grad():
    w = dc.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        w.add_(1)
    with dc.no_grad():
        w.sub_(0.5)
    np.testing.assert_allclose(w.detach().numpy(), 0.5)


def test_inplace_change_of_saved_tensor_is_detected():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    y = dc.tensor([3.0, 4.0])
    z = x * y
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place"):
        z.backward(dc.ones(2))


def test_threaded_path_matches_numpy():
    a, ta = make((1000, 1100), "float32", seed=21)
    b, tb = make((1100,), "float32", seed=22)
    results = []
    for n in (1, 2):
        dc.set_num_threads(n)
        results.append((ta * tb + ta).numpy())
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_allclose(results[0], a * b + a, rtol=1e-6)


def test_float32_exp_every_isa_path():
    """Tensor.exp in float32 is the branch-free exp of cpu/activation.h
    (portable, AVX2 and AVX-512 builds over contiguous rows, the plain loop
    on strided ones): within 1.5e-7 relative of float64 over the normal
    results, one subnormal step below them, inf past 88.72, and NaN, +-inf,
    +-0 as the C library gives them."""
    from deepcore import _C
    a = np.concatenate([np.linspace(-110, 90, 400001), [88.72, 88.7228, 88.73, -87.34, -103.97]])
    a = a.astype(np.float32)
    with np.errstate(over="ignore"):
        want = np.exp(a.astype(np.float64))
    f32 = np.finfo(np.float32)
    normal = (want >= f32.tiny) & (want <= f32.max)
    try:
        for isa in available_isas():
            _C._set_isa_cap(isa)
            for t in (dc.tensor(a), dc.tensor(np.stack([a, a], 1))[:, 0]):
                got = t.exp().numpy().astype(np.float64)
                rel = np.abs(got[normal] - want[normal]) / want[normal]
                assert rel.max() < 1.5e-7, (isa, rel.max())
                assert np.abs(got[want < f32.tiny] - want[want < f32.tiny]).max() <= 2.0 ** -149
                assert np.all(np.isposinf(got[want > f32.max]))
            special = dc.tensor(np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], np.float32)).exp()
            np.testing.assert_array_equal(special.numpy(), [np.nan, np.inf, 0.0, 1.0, 1.0])
    finally:
        _C._set_isa_cap("avx512")


def test_float32_log_every_isa_path():
    """Tensor.log in float32 is the branch-free log of cpu/activation.h in
    every build (and the plain loop on strided input): within 2e-7 relative
    of float64 over every binade, subnormals included, and 0, -0, negatives,
    inf and NaN as the C library gives them."""
    from deepcore import _C
    k = np.arange(-149, 128)
    a = np.ldexp(1.0 + np.arange(0, 997)[:, None] / 997.0, k[None, :]).ravel().astype(np.float32)
    a = a[np.isfinite(a) & (a > 0)]
    a = np.concatenate([a, np.float32(1) + np.arange(1, 50, dtype=np.float32) * np.float32(2 ** -23),
                        np.float32(1) - np.arange(1, 50, dtype=np.float32) * np.float32(2 ** -24)])
    want = np.log(a.astype(np.float64))
    nz = want != 0
    try:
        for isa in available_isas():
            _C._set_isa_cap(isa)
            for t in (dc.tensor(a), dc.tensor(np.stack([a, a], 1))[:, 1]):
                got = t.log().numpy().astype(np.float64)
                assert np.all(got[~nz] == 0), isa
                rel = np.abs(got[nz] - want[nz]) / np.abs(want[nz])
                assert rel.max() < 2e-7, (isa, rel.max(), a[nz][rel.argmax()])
            special = dc.tensor(np.array([0.0, -0.0, -1.0, -np.inf, np.inf, np.nan], np.float32))
            with np.errstate(divide="ignore", invalid="ignore"):
                ref = np.log(special.numpy())
            np.testing.assert_array_equal(special.log().numpy(), ref)
    finally:
        _C._set_isa_cap("avx512")
