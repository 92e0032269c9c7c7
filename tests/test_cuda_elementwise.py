"""Elementwise ops, casts, copies, fills, creation and random draws on the GPU,
each compared with the same op on the CPU (and numpy where cheap): dtypes,
broadcasting, strided views, empty and 0-d tensors, the vectorised path's
tail and misaligned views, autograd, and the error paths. The CPU-side tests
at the end (no GPU needed) cover what this family changed on the CPU."""
import numpy as np
import pytest

import deepcore as dc
from conftest import needs_gpu, same

ALL = ["bool", "int64", "float32", "float64"]
NP = {"bool": np.bool_, "int64": np.int64, "float32": np.float32, "float64": np.float64}
DT = {"bool": dc.bool, "int64": dc.int64, "float32": dc.float32, "float64": dc.float64}


def rnd(shape, dtype, seed=0, low=-3.0, high=3.0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype == "int64":
        return rng.integers(-6, 7, size=shape).astype(np.int64)
    return rng.uniform(low, high, size=shape).astype(NP[dtype])


def pair(a):
    """(cpu tensor, cuda tensor) holding numpy array a."""
    return dc.tensor(a), dc.tensor(a, device="cuda")


# (shape a, shape b): same, broadcast both ways, scalar, 0-d, empty, odd sizes
# (the vectorised path's tail), more dims than the indexer holds once merged.
SHAPES = [((7, 5), (7, 5)), ((4, 1, 3), (5, 1)), ((3,), (2, 4, 3)), ((6, 5), ()), ((), ()),
          ((0, 3), (3,)), ((1001,), (1001,)), ((2,) * 12, (2,) * 12)]

BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum"]


def _binary_inputs(op, dtype, sa, sb):
    a, b = rnd(sa, dtype, 1), rnd(sb, dtype, 2)
    if op == "pow":
        if dtype == "int64":
            b = np.abs(b) % 5
        elif dtype in ("float32", "float64"):
            a = np.abs(a) + 0.1
    if op == "div" and dtype in ("int64", "bool"):
        b = np.where(b == 0, 1, b).astype(b.dtype)
    return a, b


@needs_gpu
@pytest.mark.parametrize("op", BINARY)
@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_binary_matches_cpu(op, dtype, sa, sb):
    if op == "sub" and dtype == "bool":
        pytest.skip("bool - bool raises (tested below)")
    a, b = _binary_inputs(op, dtype, sa, sb)
    ca, ga = pair(a)
    cb, gb = pair(b)
    fn = getattr(dc, op)
    same(fn(ga, gb), fn(ca, cb), rtol=1e-5)


@needs_gpu
@pytest.mark.parametrize("op", ["bitwise_and", "bitwise_or", "bitwise_xor"])
@pytest.mark.parametrize("dtype", ["bool", "int64"])
@pytest.mark.parametrize("sa,sb", SHAPES[:6])
def test_bitwise_matches_cpu(op, dtype, sa, sb):
    ca, ga = pair(rnd(sa, dtype, 1))
    cb, gb = pair(rnd(sb, dtype, 2))
    fn = getattr(dc, op)
    same(fn(ga, gb), fn(ca, cb))
    same(dc.bitwise_not(ga), dc.bitwise_not(ca))


@needs_gpu
@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_compare_matches_cpu(op, dtype, sa, sb):
    a, b = rnd(sa, dtype, 1), rnd(sb, dtype, 2)
    if dtype in ("float32", "float64") and a.size:
        a.reshape(-1)[0] = np.nan
    ca, ga = pair(a)
    cb, gb = pair(b)
    fn = getattr(dc, op)
    out = fn(ga, gb)
    assert out.dtype == dc.bool
    same(out, fn(ca, cb))
    np.testing.assert_array_equal(out.cpu().numpy(), getattr(np, {"eq": "equal", "ne": "not_equal",
                                  "lt": "less", "le": "less_equal", "gt": "greater",
                                  "ge": "greater_equal"}[op])(a, b))


@needs_gpu
@pytest.mark.parametrize("dtype", ALL)
def test_mixed_dtype_promotion_matches_cpu(dtype):
    for other in ALL:
        if {dtype, other} == {"float32", "float64"}:
            continue
        ca, ga = pair(rnd((3, 4), dtype, 1))
        cb, gb = pair(rnd((4,), other, 2))
        same(ga + gb, ca + cb)
        same(ga * gb, ca * cb)
        same(ga / (gb + 10), ca / (cb + 10), rtol=1e-5)
        same(ga < gb, ca < cb)


def test_integer_pow_semantics_cpu_and_gpu():
    base = np.array([2, -3, 0, 7, 3, -1], dtype=np.int64)
    exp = np.array([62, 3, 0, 0, 41, 7], dtype=np.int64)  # 3**41 wraps as int64
    wrapped = (3 ** 41) % 2 ** 64 - 2 ** 64  # 3**41 mod 2**64, as a signed int64
    want = np.array([2 ** 62, -27, 1, 1, wrapped, -1], dtype=np.int64)
    c = dc.tensor(base) ** dc.tensor(exp)
    np.testing.assert_array_equal(c.numpy(), want)
    if dc.cuda.is_available():
        same(dc.tensor(base, device="cuda") ** dc.tensor(exp, device="cuda"), c)


@needs_gpu
def test_nan_rules_match_cpu():
    a = np.array([np.nan, 1.0, -2.0, np.nan, 0.0, -0.0], dtype=np.float32)
    b = np.array([1.0, np.nan, 3.0, np.nan, -0.0, 0.0], dtype=np.float32)
    ca, ga = pair(a)
    cb, gb = pair(b)
    for fn in (dc.maximum, dc.minimum):
        same(fn(ga, gb), fn(ca, cb))
    for fn in (dc.relu, dc.sign, dc.isnan, dc.abs):
        same(fn(ga), fn(ca))
    same(dc.clamp(ga, -1.0, 0.5), dc.clamp(ca, -1.0, 0.5))


UNARY = ["neg", "abs", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "sign",
         "isnan"]


@needs_gpu
@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
@pytest.mark.parametrize("shape", [(5, 7), (), (0,), (1003,), (2, 3, 4)])
def test_unary_matches_cpu(op, dtype, shape):
    a = rnd(shape, dtype, 3, low=-30.0, high=30.0)
    if op in ("log", "sqrt"):
        a = np.abs(a) + (1 if dtype == "int64" else 0.5)
    ca, ga = pair(a)
    fn = getattr(dc, op)
    # CUDA's float32 exp/log/sin/... are within 2 ulp of the CPU's libm.
    same(fn(ga), fn(ca), rtol=1e-5 if dtype != "float64" else 1e-12, atol=1e-6)


@needs_gpu
@pytest.mark.parametrize("op", ["sign", "relu", "isnan", "bitwise_not"])
def test_bool_unary_matches_cpu(op):
    ca, ga = pair(rnd((9, 4), "bool"))
    fn = getattr(dc, op)
    try:
        want = fn(ca)
    except TypeError:
        with pytest.raises(TypeError):
            fn(ga)
        return
    same(fn(ga), want)


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_extremes_match_cpu(dtype):
    a = np.array([-1000.0, -80.0, -1.0, 0.0, 1.0, 80.0, 1000.0], dtype=NP[dtype])
    ca, ga = pair(a)
    same(dc.sigmoid(ga), dc.sigmoid(ca), rtol=1e-6, atol=0)


@needs_gpu
@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
@pytest.mark.parametrize("lo,hi", [(-1, 2), (None, 0.5), (-0.5, None), (1.5, -1.5)])
def test_clamp_matches_cpu(dtype, lo, hi):
    a = rnd((6, 7), dtype, 4)
    ca, ga = pair(a)
    same(dc.clamp(ga, lo, hi), dc.clamp(ca, lo, hi))
    same(dc.clamp(ga.t(), lo, hi), dc.clamp(ca.t(), lo, hi))


@needs_gpu
@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("sc,sa,sb", [((4, 5), (4, 5), (4, 5)), ((4, 1), (5,), ()),
                                       ((), (3, 2), (2,)), ((0, 2), (2,), (1,))])
def test_where_matches_cpu(dtype, sc, sa, sb):
    cc, gc = pair(rnd(sc, "bool", 5))
    ca, ga = pair(rnd(sa, dtype, 6))
    cb, gb = pair(rnd(sb, dtype, 7))
    same(dc.where(gc, ga, gb), dc.where(cc, ca, cb))
    same(dc.where(gc, ga, 2), dc.where(cc, ca, 2))


@needs_gpu
@pytest.mark.parametrize("src", ALL)
@pytest.mark.parametrize("dst", ALL)
def test_casts_between_all_dtypes(src, dst):
    a = rnd((37, 3), src, 8, low=-1e6, high=1e6)
    ca, ga = pair(a)
    same(ga.to(DT[dst]), ca.to(DT[dst]))
    same(ga.t().to(DT[dst]), ca.t().to(DT[dst]))  # strided source
    assert ga.to(DT[dst]).is_contiguous()


@needs_gpu
def test_noncontiguous_operands_match_cpu():
    base = rnd((6, 8, 10), "float32", 9)
    c, g = pair(base)
    views = [lambda t: t.transpose(0, 2), lambda t: t[:, 1::2, ::3], lambda t: t.permute(1, 2, 0),
             lambda t: t[1:, 2:, 3:]]  # the last one starts at an odd offset: misaligned
    for v in views:
        same(v(g) * 2.0 + v(g), v(c) * 2.0 + v(c))
        same(dc.exp(v(g)), dc.exp(v(c)), rtol=1e-5)
        same(v(g).contiguous(), v(c).contiguous(), rtol=0, atol=0)
        assert v(g).contiguous().is_contiguous()
    same(g[:, :1, :] - g, c[:, :1, :] - c)  # broadcast of a strided view


@needs_gpu
def test_large_and_misaligned_fast_path():
    n = (1 << 20) + 3
    a = rnd((n,), "float32", 10)
    c, g = pair(a)
    same(g + 1.5, c + 1.5)
    same(g[1:] * g[:-1], c[1:] * c[:-1])
    same(g.to(dc.float64), c.to(dc.float64), rtol=0, atol=0)
    cb, gb = pair(rnd((n,), "bool", 11))
    same(gb[1:] & gb[:-1], cb[1:] & cb[:-1])


@needs_gpu
@pytest.mark.parametrize("dtype", ALL)
def test_fill_contiguous_and_strided(dtype):
    g = dc.zeros(5, 6, dtype=DT[dtype], device="cuda")
    c = dc.zeros(5, 6, dtype=DT[dtype])
    g.fill_(3)
    c.fill_(3)
    same(g, c)
    g[:, 1::2].fill_(0)
    c[:, 1::2].fill_(0)
    same(g, c)
    g.t()[2].zero_()
    c.t()[2].zero_()
    same(g, c)
    g.fill_(dc.tensor(1, device="cuda"))  # a device value: no host round trip
    c.fill_(dc.tensor(1))
    same(g, c)
    dc.empty(0, 3, dtype=DT[dtype], device="cuda").fill_(1)


@needs_gpu
def test_copy_within_gpu_and_across_devices():
    a = rnd((4, 5), "float64", 12)
    g = dc.zeros(4, 5, device="cuda")  # float32: converts
    g.copy_(dc.tensor(a, device="cuda"))
    np.testing.assert_allclose(g.cpu().numpy(), a.astype(np.float32))
    g.copy_(dc.tensor(a))  # from the CPU
    np.testing.assert_allclose(g.cpu().numpy(), a.astype(np.float32))
    row = dc.tensor(a[0])
    g.copy_(row)  # broadcast from the CPU
    np.testing.assert_allclose(g.cpu().numpy(), np.broadcast_to(a[0], (4, 5)).astype(np.float32))
    c = dc.zeros(4, 5, dtype=dc.int64)
    c.copy_(dc.tensor(a * 10, device="cuda").t().t())  # to the CPU, converting
    np.testing.assert_array_equal(c.numpy(), (a * 10).astype(np.int64))
    # overlapping source and destination
    y = dc.arange(10, device="cuda")
    y[1:].copy_(y[:-1])
    np.testing.assert_array_equal(y.cpu().numpy(), [0, 0, 1, 2, 3, 4, 5, 6, 7, 8])
    # strided destination on the GPU
    z = dc.zeros(3, 4, device="cuda")
    z.t().copy_(dc.ones(4, 3, device="cuda") * 2)
    assert z.cpu().tolist() == [[2.0] * 4] * 3


@needs_gpu
def test_cat_stack_reshape_on_gpu():
    a, b = rnd((2, 3), "float32", 13), rnd((4, 3), "float32", 14)
    ga, gb = dc.tensor(a, device="cuda"), dc.tensor(b, device="cuda")
    same(dc.cat([ga, gb]), dc.cat([dc.tensor(a), dc.tensor(b)]))
    same(dc.stack([ga, ga.t().t()], 1), dc.stack([dc.tensor(a), dc.tensor(a)], 1))
    same(ga.t().reshape(6), dc.tensor(a).t().reshape(6))
    with pytest.raises(RuntimeError, match="cuda:0.*cpu|cpu.*cuda:0"):
        dc.cat([ga, dc.tensor(b)])


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_creation_on_device(dtype):
    for fn, args in ((dc.zeros, (3, 4)), (dc.ones, (2,)), (dc.empty, (0,))):
        t = fn(*args, dtype=DT[dtype], device="cuda")
        assert t.device == dc.device("cuda:0") and t.dtype == DT[dtype]
        if fn is not dc.empty:
            same(t, fn(*args, dtype=DT[dtype]))
    same(dc.full((2, 3), 7, dtype=DT[dtype], device="cuda"), dc.full((2, 3), 7, dtype=DT[dtype]))
    for args in ((10,), (2, 11, 3), (5, -3, -0.5), (0.1, 1.0, 0.1), (3, 3)):
        if dtype == "int64" and any(isinstance(v, float) for v in args):
            continue
        same(dc.arange(*args, dtype=DT[dtype], device="cuda"), dc.arange(*args, dtype=DT[dtype]),
             rtol=0, atol=0)


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(1000,), (7, 13), (0,), ()])
def test_rand_randn_randint_same_numbers_on_both_devices(dtype, shape):
    for fn in (dc.rand, dc.randn):
        dc.manual_seed(1234)
        c1, c2 = fn(*shape, dtype=DT[dtype]), fn(*shape, dtype=DT[dtype])
        dc.manual_seed(1234)
        g1, g2 = fn(*shape, dtype=DT[dtype], device="cuda"), fn(*shape, dtype=DT[dtype],
                                                                device="cuda")
        assert g1.device.type == "cuda"
        # rand is exact integer scaling; randn's log/cos differ by an ulp at most.
        tol = 0 if fn is dc.rand else (1e-6 if dtype == "float32" else 1e-13)
        same(g1, c1, rtol=tol, atol=tol)
        same(g2, c2, rtol=tol, atol=tol)  # the stream advanced alike
    dc.manual_seed(99)
    c = dc.randint(-5, 17, shape)
    d = dc.randint(0, 2 ** 40, shape, dtype=DT[dtype])
    dc.manual_seed(99)
    same(dc.randint(-5, 17, shape, device="cuda"), c)
    same(dc.randint(0, 2 ** 40, shape, dtype=DT[dtype], device="cuda"), d, rtol=0, atol=0)


@needs_gpu
def test_mixed_device_draws_share_one_stream():
    dc.manual_seed(5)
    ref = dc.rand(300).numpy()
    dc.manual_seed(5)
    parts = [dc.rand(100), dc.rand(100, device="cuda"), dc.rand(100)]
    got = np.concatenate([p.cpu().numpy() for p in parts])
    np.testing.assert_array_equal(got, ref)


@needs_gpu
@pytest.mark.parametrize("dtype", [dc.float32, dc.float64])
def test_dropout_same_mask_on_both_devices(dtype):
    x = np.random.default_rng(0).uniform(1, 2, size=(33, 17))
    dc.manual_seed(21)
    c = dc.nn.functional.dropout(dc.tensor(x, dtype=dtype), 0.3)
    dc.manual_seed(21)
    xg = dc.tensor(x, dtype=dtype, device="cuda", requires_grad=True)
    g = dc.nn.functional.dropout(xg, 0.3)
    assert g.device.type == "cuda"
    same(g, c, rtol=1e-6)
    g.sum().backward()
    np.testing.assert_array_equal(xg.grad.cpu().numpy() != 0, c.numpy() != 0)


@needs_gpu
def test_scalar_operands_stay_on_device():
    g = dc.tensor([1.0, 2.0, 4.0], device="cuda")
    for out in (g + 1, 2 * g, g / 2, 1 - g, g ** 2, 2 ** g, g > 1.5, dc.where(g > 1, g, 0.0),
                g + np.float32(1.0), g + np.array([1.0, 2.0, 3.0], dtype=np.float32),
                dc.tensor([1, 2], device="cuda") + (2 ** 60 + 1)):
        assert out.device.type == "cuda", out
    same(g * 3 - 1, dc.tensor([1.0, 2.0, 4.0]) * 3 - 1)
    assert (dc.tensor([1, 2], device="cuda") + (2 ** 60 + 1)).cpu().tolist() == \
        [2 ** 60 + 2, 2 ** 60 + 3]


BACKWARD = {
    "mul_div": lambda a, b: (a * b / (b * b + 1)).sum(),
    "pow": lambda a, b: (a.abs() + 0.5).pow(b).sum(),
    "max_min": lambda a, b: (dc.maximum(a, b) - dc.minimum(a, b * 2)).sum(),
    "where": lambda a, b: dc.where(a > b, a * 3, b - a).sum(),
    "clamp": lambda a, b: (a.clamp(-0.5, 0.7) * b).sum(),
    "unary": lambda a, b: (a.exp() + b.sigmoid() + a.tanh() * b.sin() + b.relu()).sum(),
    "cast": lambda a, b: (a.float().double() * b).sum(),
}


@needs_gpu
@pytest.mark.parametrize("name", sorted(BACKWARD))
def test_backward_on_gpu_matches_cpu(name):
    a, b = rnd((4, 5), "float64", 15), rnd((5,), "float64", 16)
    grads = []
    for device in ("cpu", "cuda"):
        ta = dc.tensor(a, device=device, requires_grad=True)
        tb = dc.tensor(b, device=device, requires_grad=True)
        BACKWARD[name](ta, tb).backward()
        assert ta.grad.device.type == device
        grads.append((ta.grad, tb.grad))
    (ca, cb), (ga, gb) = grads
    same(ga, ca, rtol=1e-10)
    same(gb, cb, rtol=1e-10)


@needs_gpu
def test_gradcheck_on_gpu():
    a = dc.tensor(rnd((3, 4), "float64", 17), device="cuda", requires_grad=True)
    b = dc.tensor(rnd((4,), "float64", 18), device="cuda", requires_grad=True)
    assert dc.autograd.gradcheck(lambda x, y: x * y.sigmoid() - x / (y * y + 1), (a, b))


# ---------------------------------------------------------------- error paths
@needs_gpu
@pytest.mark.parametrize("op", ["add", "mul", "pow", "maximum", "eq", "bitwise_and"])
def test_mixed_devices_raise(op):
    g = dc.ones(3, dtype=dc.int64, device="cuda")
    c = dc.ones(3, dtype=dc.int64)
    with pytest.raises(RuntimeError, match="cuda:0.*cpu|cpu.*cuda:0"):
        getattr(dc, op)(g, c)
    with pytest.raises(RuntimeError, match="cuda:0.*cpu|cpu.*cuda:0"):
        getattr(dc, op)(c, g)


@needs_gpu
def test_where_mixed_devices_raise():
    g = dc.ones(3, device="cuda")
    with pytest.raises(RuntimeError, match="cuda:0.*cpu|cpu.*cuda:0"):
        dc.where(g > 0, g, dc.ones(3))
    with pytest.raises(RuntimeError, match="cuda:0.*cpu|cpu.*cuda:0"):
        dc.where(dc.ones(3) > 0, g, g)


@needs_gpu
def test_gpu_error_paths_match_cpu():
    g = dc.tensor([2, 3], device="cuda")
    with pytest.raises(RuntimeError, match="negative integer powers"):
        g ** dc.tensor([1, -1], device="cuda")
    gb = dc.tensor([True, False], device="cuda")
    with pytest.raises(TypeError, match="sub"):
        gb - gb
    with pytest.raises(TypeError, match="neg"):
        -gb
    with pytest.raises(TypeError, match="float32 and float64"):
        dc.ones(2, device="cuda") + dc.ones(2, dtype=dc.float64, device="cuda")
    with pytest.raises(TypeError, match="bitwise_and"):
        dc.ones(2, device="cuda") & dc.ones(2, device="cuda")
    with pytest.raises(dc.ShapeError):
        dc.ones(2, 3, device="cuda") + dc.ones(4, device="cuda")
    with pytest.raises(dc.ShapeError):
        dc.zeros(2, 3, device="cuda").copy_(dc.ones(4))
    with pytest.raises(TypeError, match="rand"):
        dc.rand(3, dtype=dc.int64, device="cuda")
    with pytest.raises(ValueError, match="randint"):
        dc.randint(3, 3, (2,), device="cuda")


# ---------------------------------------------------------------- CPU side
def _philox(key, counter):
    """Philox4x32-10 in pure Python: the reference for core/random.h."""
    m32 = 0xFFFFFFFF
    k0, k1 = key & m32, key >> 32
    c = [counter & m32, (counter >> 32) & m32, 0, 0]
    for _ in range(10):
        p0, p1 = 0xD2511F53 * c[0], 0xCD9E8D57 * c[2]
        c = [(p1 >> 32) ^ c[1] ^ k0, p1 & m32, (p0 >> 32) ^ c[3] ^ k1, p0 & m32]
        k0, k1 = (k0 + 0x9E3779B9) & m32, (k1 + 0xBB67AE85) & m32
    return c


def test_cpu_draws_follow_the_philox_stream():
    dc.manual_seed(2024)
    u64, u32 = dc.rand(5, dtype=dc.float64).numpy(), dc.rand(5).numpy()
    ints = dc.randint(-3, 1000, (5,)).numpy()
    for i in range(5):
        r = _philox(2024, i)
        assert u64[i] == ((r[0] << 32 | r[1]) >> 11) / 2.0 ** 53
        r = _philox(2024, 5 + i)
        assert u32[i] == np.float32((r[0] >> 8) / 2.0 ** 24)
        r = _philox(2024, 10 + i)
        assert ints[i] == -3 + (r[0] << 32 | r[1]) % 1003


def test_cpu_randn_is_box_muller_of_the_stream():
    dc.manual_seed(7)
    z = dc.randn(4, dtype=dc.float64).numpy()
    for i in range(4):
        r = _philox(7, i)
        u1 = 1.0 - ((r[0] << 32 | r[1]) >> 11) / 2.0 ** 53
        u2 = ((r[2] << 32 | r[3]) >> 11) / 2.0 ** 53
        assert z[i] == pytest.approx(np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u2), rel=1e-14)


def test_randint_full_int64_range_wraps_without_overflow():
    dc.manual_seed(3)
    t = dc.randint(-2 ** 63, 2 ** 63 - 1, (1000,))
    v = t.numpy()
    assert v.min() < -2 ** 61 and v.max() > 2 ** 61


def test_arange_values_unchanged():
    np.testing.assert_array_equal(dc.arange(0.5, 3.0, 0.25, dtype=dc.float64).numpy(),
                                  0.5 + np.arange(10) * 0.25)
    assert dc.arange(5, -3, -2).tolist() == [5, 3, 1, -1]
    assert dc.arange(0).shape == (0,)


def test_fill_from_tensor_and_scalar_operands_cpu():
    t = dc.zeros(2, 3)
    t.fill_(dc.tensor(2.5))
    assert t.tolist() == [[2.5] * 3] * 2
    t.fill_(dc.tensor([4], dtype=dc.int64))  # one element, another dtype
    assert t.tolist() == [[4.0] * 3] * 2
    with pytest.raises(ValueError):
        t.fill_(dc.tensor([1.0, 2.0]))
    x = dc.tensor([1.0, 2.0])
    out = x + np.array([1.0, 1.0], dtype=np.float32)
    assert out.device == x.device and out.tolist() == [2.0, 3.0]
    assert dc.get_rng_state().device == dc.device("cpu")


def test_to_with_dtype_and_device_keeps_values_cpu():
    x = dc.tensor([1.5, -2.25], dtype=dc.float64, requires_grad=True)
    y = x.to("cpu", dc.float32)
    assert y.dtype == dc.float32 and y.tolist() == [1.5, -2.25]
    y.sum().backward()
    assert x.grad.dtype == dc.float64 and x.grad.tolist() == [1.0, 1.0]


@needs_gpu
def test_to_device_and_dtype_together():
    x = dc.tensor([1.5, -2.25], dtype=dc.float64, requires_grad=True)
    y = x.to("cuda", dc.float32)
    assert y.device.type == "cuda" and y.dtype == dc.float32
    z = y.to("cpu", dc.int64)
    assert z.device.type == "cpu" and z.tolist() == [1, -2]
    y.sum().backward()
    assert x.grad.device.type == "cpu" and x.grad.dtype == dc.float64
    assert x.grad.tolist() == [1.0, 1.0]


@needs_gpu
def test_views_with_too_many_unmergeable_dims_raise():
    g = dc.zeros(*([2] * 12), device="cuda")
    rev = g.permute(*range(11, -1, -1))
    with pytest.raises(NotImplementedError, match="more than 10 dims"):
        rev + 1
    same(g + 1, dc.zeros(*([2] * 12)) + 1)  # contiguous: merged into one dim
