"""Activations, softmax/log_softmax and one_hot: forward against float64 numpy,
backward by gradcheck and against the formulas, errors, modules."""
import numpy as np
import pytest

import deepcore as dc
import deepcore.nn.functional as F
from deepcore import _C
from deepcore.autograd import gradcheck
from conftest import assert_close, available_isas, leaf, make

SHAPES = [(3, 4), (5,), (), (0, 3), (2, 1, 3), (1,)]


def np_leaky_relu(x, slope):
    return np.where(x > 0, x, slope * x)


def np_elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def np_softmax(x, dim):
    m = np.max(x, axis=dim, keepdims=True)
    e = np.exp(x - m)
    return e / e.sum(axis=dim, keepdims=True)


def np_log_softmax(x, dim):
    m = np.max(x, axis=dim, keepdims=True)
    return (x - m) - np.log(np.exp(x - m).sum(axis=dim, keepdims=True))


def tol(dtype):
    return dict(rtol=2e-6, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-13)


# ---------------------------------------------------------------- pointwise forward
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("slope", [0.01, 0.2, 0.0, -0.5, 1.5])
def test_leaky_relu_forward(shape, dtype, slope):
    a, t = make(shape, dtype, seed=1)
    out = F.leaky_relu(t, slope)
    assert out.dtype == t.dtype
    assert_close(out, np_leaky_relu(a.astype(np.float64), slope), **tol(dtype))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.0, -1.0])
def test_elu_forward(shape, dtype, alpha):
    a, t = make(shape, dtype, seed=2, low=-6, high=3)
    assert_close(F.elu(t, alpha), np_elu(a.astype(np.float64), alpha), **tol(dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_elu_tails_and_tiny_inputs(dtype):
    # expm1 keeps relative accuracy near 0; the far tail is exactly -alpha.
    a = np.array([-1e-8, -1e-5, -0.3, -0.35, -0.4, -1.0, -20.0, -90.0, -200.0, -1e4, 0.0, 3.0],
                 dtype=dtype)
    out = F.elu(dc.tensor(a), 1.5).numpy()
    np.testing.assert_allclose(out, np_elu(a.astype(np.float64), 1.5),
                               rtol=2e-7 if dtype == "float32" else 1e-15, atol=0)
    assert out[-2] == 0.0 and out[-3] == -1.5 and out[-4] == -1.5


def test_activations_noncontiguous():
    a, t = make((6, 5), "float32", noncontig=True, seed=3)
    assert_close(F.leaky_relu(t, 0.1), np_leaky_relu(a, 0.1), rtol=1e-6)
    assert_close(F.elu(t), np_elu(a.astype(np.float64), 1.0), rtol=2e-6, atol=1e-7)
    assert_close(F.relu(t), np.maximum(a, 0))
    assert_close(F.sigmoid(t), 1 / (1 + np.exp(-a.astype(np.float64))), rtol=1e-6)
    assert_close(F.tanh(t), np.tanh(a.astype(np.float64)), rtol=1e-6, atol=1e-7)


def test_nan_and_inf_pass_through():
    a = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], dtype=np.float32)
    t = dc.tensor(a)
    np.testing.assert_array_equal(F.leaky_relu(t, 0.1).numpy(),
                                  np.array([np.nan, np.inf, -np.inf, 0, 0], np.float32))
    np.testing.assert_array_equal(F.elu(t).numpy(),
                                  np.array([np.nan, np.inf, -1, 0, 0], np.float32))


def test_large_activation_threads_agree():
    a, t = make((300, 1000), "float32", seed=4, low=-5, high=5)
    dc.set_num_threads(1)
    one = [F.elu(t).numpy(), F.leaky_relu(t).numpy(), F.softmax(t, 1).numpy(),
           F.log_softmax(t, 0).numpy()]
    dc.set_num_threads(2)
    two = [F.elu(t).numpy(), F.leaky_relu(t).numpy(), F.softmax(t, 1).numpy(),
           F.log_softmax(t, 0).numpy()]
    for x, y in zip(one, two):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_allclose(one[0], np_elu(a.astype(np.float64), 1.0), rtol=2e-6, atol=1e-7)


# ---------------------------------------------------------------- pointwise backward
def away_from_zero(shape, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.1, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return leaf(a)


@pytest.mark.parametrize("shape", [(3, 4), (5,), ()])
@pytest.mark.parametrize("fn", [
    lambda x: F.leaky_relu(x, 0.2), lambda x: F.leaky_relu(x, -0.3), lambda x: F.elu(x),
    lambda x: F.elu(x, 0.7), lambda x: F.relu(x), lambda x: F.sigmoid(x), lambda x: F.tanh(x)],
    ids=["leaky0.2", "leaky-0.3", "elu", "elu0.7", "relu", "sigmoid", "tanh"])
def test_pointwise_gradcheck(shape, fn):
    assert gradcheck(fn, (away_from_zero(shape, 5),))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_native_backward_formulas(dtype):
    a, x = make((4, 7), dtype, seed=6, low=-3, high=3)
    g, tg = make((7, 4), dtype, seed=7)
    tg = tg.transpose(0, 1)  # a strided gradient
    g = g.T
    y_relu, y_sig, y_tanh = np.maximum(a, 0), 1 / (1 + np.exp(-a)), np.tanh(a)
    cases = [
        (_C.relu_backward(tg._a, dc.tensor(y_relu)._a), g * (y_relu > 0)),
        (_C.sigmoid_backward(tg._a, dc.tensor(y_sig)._a), g * y_sig * (1 - y_sig)),
        (_C.tanh_backward(tg._a, dc.tensor(y_tanh)._a), g * (1 - y_tanh ** 2)),
        (_C.leaky_relu_backward(tg._a, x._a, 0.3), g * np.where(a > 0, 1, 0.3)),
        (_C.elu_backward(tg._a, x._a, 1.7), g * np.where(a > 0, 1, 1.7 * np.exp(np.minimum(a, 0)))),
    ]
    for got, want in cases:
        assert_close(dc.Tensor._make(got), want, **tol(dtype))
    # a broadcast (stride 0) gradient, as sum().backward() produces
    ones = dc.ones(()).to(x.dtype).expand(4, 7)
    assert_close(dc.Tensor._make(_C.leaky_relu_backward(ones._a, x._a, 0.5)),
                 np.where(a > 0, 1, 0.5).astype(dtype))


def test_backward_through_graph_matches_formula():
    x = leaf(np.linspace(-3, 3, 12).reshape(3, 4))
    F.elu(x, 2.0).sum().backward()
    a = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), np.where(a > 0, 1, 2 * np.exp(a)), rtol=1e-14)
    x.grad = None
    F.leaky_relu(x, 0.25).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.where(a > 0, 1, 0.25))


@pytest.mark.parametrize("op", ["relu_backward", "sigmoid_backward", "tanh_backward"])
def test_backward_errors(op):
    fn = getattr(_C, op)
    with pytest.raises(dc.ShapeError, match=rf"{op}: grad of shape \(3, 4\) does not match the "
                                            r"output of shape \(4, 3\)"):
        fn(dc.zeros(3, 4)._a, dc.zeros(4, 3)._a)
    with pytest.raises(TypeError, match=f"{op}: grad has dtype float64 but the output has "
                                        "dtype float32"):
        fn(dc.zeros(3, dtype=dc.float64)._a, dc.zeros(3)._a)
    with pytest.raises(TypeError, match=op):
        fn(dc.zeros(3, dtype=dc.int64)._a, dc.zeros(3, dtype=dc.int64)._a)


def test_activation_errors():
    for fn in (F.leaky_relu, F.elu, lambda x: F.softmax(x, 0), lambda x: F.log_softmax(x, 0)):
        with pytest.raises(TypeError, match="expected a floating point tensor"):
            fn(dc.tensor([1, 2, 3]))
        with pytest.raises(TypeError, match="expected a Tensor"):
            fn([1.0, 2.0])
    with pytest.raises(TypeError, match="negative_slope must be a number"):
        F.leaky_relu(dc.zeros(2), "0.1")
    with pytest.raises(ValueError, match="leaky_relu: negative_slope must be finite"):
        F.leaky_relu(dc.zeros(2), float("nan"))
    with pytest.raises(ValueError, match="elu: alpha must be finite"):
        F.elu(dc.zeros(2), float("inf"))


def test_inplace_variants():
    a = np.array([-2.0, -0.5, 0.0, 1.5])
    t = dc.tensor(a)
    assert F.relu(t, inplace=True) is t
    np.testing.assert_array_equal(t.numpy(), np.maximum(a, 0))
    t = dc.tensor(a)
    F.leaky_relu_(t, 0.5)
    np.testing.assert_array_equal(t.numpy(), np_leaky_relu(a, 0.5))
    t = dc.tensor(a)
    F.elu_(t)
    np.testing.assert_allclose(t.numpy(), np_elu(a, 1.0), rtol=1e-15)
    with pytest.raises(RuntimeError, match="in-place"):
        F.relu(leaf(a), inplace=True)


# ---------------------------------------------------------------- softmax
SOFTMAX_CASES = [((3, 4), 1), ((3, 4), 0), ((3, 4), -1), ((2, 3, 4), 1), ((2, 3, 4), 0),
                 ((2, 3, 4), 2), ((5,), 0), ((), 0), ((), -1), ((1, 1), 1), ((4, 1), 1),
                 ((0, 3), 1), ((3, 0), 1), ((2, 5, 300), 1), ((2, 600, 3), 1), ((3, 2000), 1),
                 ((7, 17), 1)]


@pytest.mark.parametrize("shape,dim", SOFTMAX_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("log", [False, True])
def test_softmax_forward(shape, dim, dtype, log):
    a, t = make(shape, dtype, seed=8, low=-10, high=10)
    if a.size == 0:
        ref = a.astype(np.float64)
    else:
        ref = (np_log_softmax if log else np_softmax)(a.astype(np.float64), dim)
    out = (F.log_softmax if log else F.softmax)(t, dim)
    assert out.dtype == t.dtype and out.shape == t.shape
    if dtype == "float32":
        assert_close(out, ref, rtol=1e-5, atol=1e-6)
    else:
        assert_close(out, ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("log", [False, True])
def test_softmax_noncontiguous(log):
    a, t = make((6, 5), "float64", noncontig=True, seed=9)
    fn, ref = (F.log_softmax, np_log_softmax) if log else (F.softmax, np_softmax)
    for dim in (0, 1):
        assert_close(fn(t, dim), ref(a, dim), rtol=1e-12, atol=1e-14)
    assert_close(fn(t[:, 1:4], 1), ref(a[:, 1:4], 1), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_extreme_logits(dtype):
    # +-1000 logits: finite and correct, thanks to the max subtraction.
    a = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, 999.0],
                  [0.0, -np.inf, 1.0]], dtype=dtype)
    sm = F.softmax(dc.tensor(a), 1).numpy()
    ls = F.log_softmax(dc.tensor(a), 1).numpy()
    assert np.all(np.isfinite(sm))
    assert np.all(np.isfinite(ls[:3]))
    np.testing.assert_allclose(sm, np_softmax(a.astype(np.float64), 1), rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(ls[:3], np_log_softmax(a[:3].astype(np.float64), 1), rtol=1e-6)
    assert sm[0, 1] == 0.0 and sm[0, 0] == 1.0
    assert ls[0, 1] == -2000.0
    assert ls[3, 1] == -np.inf and sm[3, 1] == 0.0


def test_float32_exp_accuracy_down_to_subnormals():
    """softmax([0, x])[1] is the kernels' exp(x) itself for x < -17 (the sum
    rounds to 1): within 1.5e-7 relative of float64 exp while the result is
    normal, and within one subnormal step below (to 0 past exp(-103.97)), in
    every kernel build."""
    x = np.concatenate([np.linspace(-104.5, -17.0, 200001), [-87.33, -87.34, -100.0, -103.9]])
    x = x.astype(np.float32)
    a = np.stack([np.zeros_like(x), x], axis=1)
    want = np.exp(x.astype(np.float64))
    tiny = np.finfo(np.float32).tiny
    try:
        for isa in available_isas():
            _C._set_isa_cap(isa)
            got = F.softmax(dc.tensor(a), 1).numpy()[:, 1].astype(np.float64)
            normal = want >= tiny
            rel = np.abs(got[normal] - want[normal]) / want[normal]
            assert rel.max() < 1.5e-7, (isa, rel.max())
            assert np.abs(got[~normal] - want[~normal]).max() <= 2.0 ** -149, isa
    finally:
        _C._set_isa_cap("avx512")


def test_softmax_nan_row():
    a = np.array([[np.nan, 1.0, 2.0], [1.0, 2.0, 3.0]], np.float32)
    sm = F.softmax(dc.tensor(a), 1).numpy()
    assert np.all(np.isnan(sm[0])) and np.all(np.isfinite(sm[1]))
    # Rows of 256+ take row_max's wide path: a NaN anywhere still spoils the row.
    b = np.random.default_rng(3).uniform(-5, 5, size=(3, 300)).astype(np.float32)
    b[0, 7], b[1, 299] = np.nan, np.nan
    sm = F.softmax(dc.tensor(b), 1).numpy()
    assert np.all(np.isnan(sm[:2])) and np.all(np.isfinite(sm[2]))


@pytest.mark.parametrize("shape,dim", [((3, 4), 1), ((3, 4), 0), ((2, 3, 2), 1), ((4,), 0),
                                       ((), 0), ((2, 3, 2), -1)])
@pytest.mark.parametrize("log", [False, True])
def test_softmax_gradcheck(shape, dim, log):
    rng = np.random.default_rng(10)
    x = leaf(rng.uniform(-3, 3, size=shape))
    fn = F.log_softmax if log else F.softmax
    # weight the outputs so the gradient is not trivially 0 (softmax sums to 1)
    w = dc.tensor(rng.uniform(-1, 1, size=shape))
    assert gradcheck(lambda t: fn(t, dim) * w, (x,))
    assert gradcheck(lambda t: fn(t, dim), (x,))


@pytest.mark.parametrize("log", [False, True])
def test_softmax_backward_tile_path(log):
    # inner > 256 columns: the tiled kernels, forward and backward, against numpy.
    rng = np.random.default_rng(11)
    a = rng.uniform(-3, 3, size=(2, 3, 300))
    g = rng.uniform(-1, 1, size=a.shape)
    x = leaf(a)
    y = (F.log_softmax if log else F.softmax)(x, 1)
    y.backward(dc.tensor(g))
    if log:
        want = g - np.exp(np_log_softmax(a, 1)) * g.sum(1, keepdims=True)
    else:
        s = np_softmax(a, 1)
        want = s * (g - (g * s).sum(1, keepdims=True))
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12, atol=1e-14)


def test_softmax_dim_errors_and_dtype():
    with pytest.raises(IndexError, match="softmax"):
        F.softmax(dc.zeros(3, 4), 2)
    with pytest.raises(IndexError, match="log_softmax"):
        F.log_softmax(dc.zeros(3, 4), -3)
    with pytest.raises(IndexError, match="softmax"):
        F.softmax(dc.zeros(()), 1)
    with pytest.raises(TypeError, match="dim must be an int"):
        F.softmax(dc.zeros(3), 0.5)
    out = F.softmax(dc.tensor([1, 2, 3]), 0, dtype=dc.float64)
    assert out.dtype == dc.float64
    assert_close(out, np_softmax(np.array([1.0, 2.0, 3.0]), 0), rtol=1e-14)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        assert_close(F.softmax(dc.tensor([[1.0, 2.0]])), [[1 / (1 + np.e), np.e / (1 + np.e)]],
                     rtol=1e-6)
    with pytest.raises(dc.ShapeError, match="softmax_backward"):
        _C.softmax_backward(dc.zeros(3)._a, dc.zeros(4)._a, 0)


def test_against_torch():
    torch = pytest.importorskip("torch")
    a, t = make((5, 7, 3), "float64", seed=12, low=-4, high=4)
    ta = torch.tensor(a)
    pairs = [(F.softmax(t, 1), torch.softmax(ta, 1)), (F.log_softmax(t, 2), torch.log_softmax(ta, 2)),
             (F.leaky_relu(t, 0.2), torch.nn.functional.leaky_relu(ta, 0.2)),
             (F.elu(t, 0.5), torch.nn.functional.elu(ta, 0.5))]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-13, atol=1e-15)
    x = leaf(a)
    tx = torch.tensor(a, requires_grad=True)
    g = np.random.default_rng(13).uniform(-1, 1, size=a.shape)
    (F.log_softmax(x, 1) * dc.tensor(g)).sum().backward()
    (torch.log_softmax(tx, 1) * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------- one_hot
def test_one_hot():
    labels = dc.tensor([[0, 2], [1, 2]])
    out = F.one_hot(labels)
    assert out.dtype == dc.int64 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy(), np.eye(3, dtype=np.int64)[labels.numpy()])
    out = F.one_hot(dc.tensor([3, 0]), num_classes=5)
    np.testing.assert_array_equal(out.numpy(), np.eye(5, dtype=np.int64)[[3, 0]])
    assert F.one_hot(dc.tensor(1), 3).tolist() == [0, 1, 0]
    assert F.one_hot(dc.zeros(0, dtype=dc.int64), 4).shape == (0, 4)


def test_one_hot_errors():
    with pytest.raises(ValueError, match="smaller than num_classes"):
        F.one_hot(dc.tensor([0, 5]), 5)
    with pytest.raises(ValueError, match="non-negative"):
        F.one_hot(dc.tensor([-1, 2]))
    with pytest.raises(ValueError, match="empty"):
        F.one_hot(dc.zeros(0, dtype=dc.int64))
    with pytest.raises(TypeError, match="int64"):
        F.one_hot(dc.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="num_classes"):
        F.one_hot(dc.tensor([0]), -2)


# ---------------------------------------------------------------- modules
def test_activation_modules():
    a, t = make((4, 5), "float64", seed=14)
    nn = dc.nn
    cases = [(nn.ReLU(), np.maximum(a, 0), "ReLU()"),
             (nn.LeakyReLU(0.2), np_leaky_relu(a, 0.2), "LeakyReLU(negative_slope=0.2)"),
             (nn.ELU(alpha=0.5), np_elu(a, 0.5), "ELU(alpha=0.5)"),
             (nn.Sigmoid(), 1 / (1 + np.exp(-a)), "Sigmoid()"),
             (nn.Tanh(), np.tanh(a), "Tanh()"),
             (nn.Softmax(dim=1), np_softmax(a, 1), "Softmax(dim=1)"),
             (nn.LogSoftmax(dim=0), np_log_softmax(a, 0), "LogSoftmax(dim=0)")]
    for m, want, text in cases:
        assert_close(m(t), want, rtol=1e-12, atol=1e-14)
        assert repr(m) == text
        assert list(m.parameters()) == [] and m.state_dict() == {}
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.LeakyReLU(inplace=True)) == "LeakyReLU(negative_slope=0.01, inplace=True)"
    x = leaf(a)
    nn.Sequential(nn.LeakyReLU(0.1), nn.Softmax(1))(x).pow(2).sum().backward()
    assert x.grad is not None and x.grad.shape == (4, 5)


# ---------------------------------------------------------------- no crash on odd input
@pytest.mark.filterwarnings("ignore:Implicit dimension")
def test_no_crash_sweep():
    from test_no_crash import ARGS, call, odd_tensors
    odd = odd_tensors()
    fns = [F.leaky_relu, F.elu, F.softmax, F.log_softmax, F.one_hot, F.relu, F.sigmoid, F.tanh]
    natives = [_C.relu_backward, _C.sigmoid_backward, _C.tanh_backward]
    for t in odd.values():
        for fn in fns:
            call(fn, t)
            for a in ARGS:
                call(fn, t, a)
        for u in odd.values():
            for fn in natives:
                call(fn, t._a, u._a)
            for a in (0, 1, -1, 3, 2 ** 62):
                call(_C.softmax_backward, t._a, u._a, a)
                call(_C.log_softmax_backward, t._a, u._a, a)
                call(_C.leaky_relu_backward, t._a, u._a, 0.1)
                call(_C.elu_backward, t._a, u._a, 1.0)


# ---------------------------------------------------------------- every kernel build
def test_isa_cap_hook():
    assert available_isas()[0] == "portable"
    with pytest.raises(ValueError, match="_set_isa_cap: unknown ISA 'sse'"):
        _C._set_isa_cap("sse")
    assert _C._isa_level() == available_isas()[-1]


@pytest.mark.parametrize("shape,dim", [((37, 1000), 1), ((50, 24), 1), ((40, 10), 1),
                                       ((3, 5, 300), 1), ((4, 33), 0)])
def test_float32_every_isa_path(shape, dim):
    """The float32 softmax kernels exist as a portable (SSE2) build and AVX2+FMA
    and AVX-512 builds chosen at run time (rows of 24 and 10 stay on AVX2 under
    AVX-512, see cpu/isa.h): each against the float64 reference, fwd and bwd."""
    a, t = make(shape, "float32", seed=15, low=-20, high=20)
    g = np.random.default_rng(16).uniform(-1, 1, size=shape).astype(np.float32)
    a64, g64 = a.astype(np.float64), g.astype(np.float64)
    s = np_softmax(a64, dim)
    want = {False: (s, s * (g64 - (g64 * s).sum(dim, keepdims=True))),
            True: (np_log_softmax(a64, dim), g64 - s * g64.sum(dim, keepdims=True))}
    try:
        for isa in available_isas():
            _C._set_isa_cap(isa)
            for log in (False, True):
                x = dc.tensor(a, requires_grad=True)
                y = (F.log_softmax if log else F.softmax)(x, dim)
                y.backward(dc.tensor(g))
                np.testing.assert_allclose(y.detach().numpy(), want[log][0], rtol=1e-5, atol=1e-6)
                np.testing.assert_allclose(x.grad.numpy(), want[log][1], rtol=1e-4, atol=1e-6)
    finally:
        _C._set_isa_cap("avx512")


def test_tensor_softmax_methods_match_functional():
    x = np.random.default_rng(5).normal(size=(3, 4))
    t = dc.tensor(x)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    ref = e / e.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(t.softmax(1).numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(t.log_softmax(dim=1).numpy(), np.log(ref), rtol=1e-12)
    assert t.softmax(0, dtype=dc.float32).dtype == dc.float32


def test_float32_sigmoid_tanh_elu_every_isa_path():
    """float32 sigmoid, tanh and elu run branch-free formulas on -|x| (cpu/
    activation.h), as portable, AVX2 and AVX-512 builds over contiguous rows
    and as the plain loop on strided ones: each against float64 within 2 ulp
    over a wide range, tiny and subnormal inputs included, and NaN, +-inf
    and -0 as the C library gives them."""
    rng = np.random.default_rng(21)
    a = np.concatenate([np.linspace(-110, 30, 400003), rng.uniform(-1e-3, 1e-3, 997),
                        [1e-30, -1e-30, 1e-40, -1e-40, 88.0, -88.0, 1e4, -1e4]]).astype(np.float32)
    a64 = a.astype(np.float64)
    with np.errstate(over="ignore"):  # exp(110) is inf in float64 too: sigmoid 0, as wanted
        ref = {"sigmoid": 1 / (1 + np.exp(-a64)), "tanh": np.tanh(a64), "elu": np_elu(a64, 1.25)}
    ops = {"sigmoid": F.sigmoid, "tanh": F.tanh, "elu": lambda t: F.elu(t, 1.25)}
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], np.float32)
    want_special = {"sigmoid": [np.nan, 1.0, 0.0, 0.5, 0.5], "tanh": [np.nan, 1.0, -1.0, 0.0, -0.0],
                    "elu": [np.nan, np.inf, -1.25, 0.0, -0.0]}
    tiny = np.finfo(np.float32).tiny
    try:
        for isa in available_isas():
            _C._set_isa_cap(isa)
            for name, op in ops.items():
                for t in (dc.tensor(a), dc.tensor(np.stack([a, a], 1))[:, 1]):  # contiguous, strided
                    got = op(t).numpy().astype(np.float64)
                    want = ref[name]
                    big = np.abs(want) >= tiny
                    rel = np.abs(got[big] - want[big]) / np.abs(want[big])
                    assert rel.max() < 2.4e-7, (isa, name, rel.max(), a[big][rel.argmax()])
                    assert np.abs(got[~big] - want[~big]).max() <= 2.0 ** -149, (isa, name)
                got = op(dc.tensor(special)).numpy()
                np.testing.assert_array_equal(got, np.array(want_special[name], np.float32))
                assert np.array_equal(np.signbit(got[3:]), np.signbit(want_special[name][3:])), (isa, name)
    finally:
        _C._set_isa_cap("avx512")


def test_float32_elu_backward_every_isa_path():
    """elu's backward (alpha * exp(x) * g below 0) also has AVX2 / AVX-512
    copies over contiguous rows (binary_loop_isa): each build, contiguous
    and strided, against float64."""
    rng = np.random.default_rng(22)
    a = np.concatenate([np.linspace(-110, 5, 100001), [0.0, -0.0, 1e-30, -1e-30]]).astype(np.float32)
    g = rng.uniform(-2, 2, size=a.shape).astype(np.float32)
    a64, g64 = a.astype(np.float64), g.astype(np.float64)
    want = g64 * np.where(a64 > 0, 1.0, 0.75 * np.exp(np.minimum(a64, 0)))
    try:
        for isa in available_isas():
            _C._set_isa_cap(isa)
            for strided in (False, True):
                x = dc.tensor(np.stack([a, a], 1) if strided else a, requires_grad=True)
                xs = x[:, 1] if strided else x
                F.elu(xs, 0.75).backward(dc.tensor(g))
                got = (x.grad[:, 1] if strided else x.grad).numpy().astype(np.float64)
                np.testing.assert_allclose(got, want, rtol=3e-7, atol=1e-44, err_msg=f"{isa} {strided}")
    finally:
        _C._set_isa_cap("avx512")
