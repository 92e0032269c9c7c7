"""GPU reductions against the CPU ones (and float64 numpy where cheap): every
op, dim combination, keepdim, dtype and layout; the multi-block and two-pass
paths; NaN, tie and empty cases; backward through autograd; error paths."""
import itertools
import math

import numpy as np
import pytest

import deepcore as dc
from deepcore import _C
from conftest import needs_gpu, same

ALL_DTYPES = ("float32", "float64", "int64", "bool")
FLOATS = ("float32", "float64")
NP = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "bool": np.bool_}

# op name -> (function(tensor, dims, keepdim), dtypes it takes)
OPS = {
    "sum": (lambda t, d, k: dc.sum(t, d, k), ALL_DTYPES),
    "mean": (lambda t, d, k: dc.mean(t, d, k), FLOATS),
    "var": (lambda t, d, k: dc.var(t, d, keepdim=k), FLOATS),
    "std": (lambda t, d, k: dc.std(t, d, keepdim=k), FLOATS),
    "var0": (lambda t, d, k: dc.var(t, d, keepdim=k, correction=0), FLOATS),
    "amax": (lambda t, d, k: dc.amax(t, () if d is None else d, k), ALL_DTYPES),
    "amin": (lambda t, d, k: dc.amin(t, () if d is None else d, k), ALL_DTYPES),
    "all": (lambda t, d, k: dc.all(t, d, k), ALL_DTYPES),
    "any": (lambda t, d, k: dc.any(t, d, k), ALL_DTYPES),
}
SHAPE = (3, 4, 5)
DIMS = [None, 0, 1, 2, -1, (0, 1), (0, 2), (1, 2), (0, 1, 2), ()]


def values(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype == "int64":
        return rng.integers(-3, 4, size=shape).astype(np.int64)  # many ties
    return rng.uniform(-2.0, 2.0, size=shape).astype(NP[dtype])


def cpu_tensor(a, layout="contig"):
    """A CPU tensor equal to numpy array a: contiguous, permuted view or strided slice."""
    if layout == "contig" or a.ndim == 0:
        return dc.tensor(a, device="cpu")
    if layout == "permuted":
        rev = list(range(a.ndim))[::-1]
        return dc.tensor(np.ascontiguousarray(a.transpose(rev)), device="cpu").permute(*rev)
    big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)  # "sliced"
    big[..., ::2] = a
    return dc.tensor(big, device="cpu")[..., ::2]


def gpu_view(a, layout):
    """(cpu tensor, gpu tensor) holding a with the given layout on both devices."""
    c = cpu_tensor(a, layout)
    if layout == "contig" or a.ndim == 0:
        return c, c.cuda()
    if layout == "permuted":
        rev = list(range(a.ndim))[::-1]
        g = dc.tensor(np.ascontiguousarray(a.transpose(rev)), device="cuda").permute(*rev)
    else:
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
        big[..., ::2] = a
        g = dc.tensor(big, device="cuda")[..., ::2]
    assert not g.is_contiguous() and g.device.type == "cuda"
    return c, g


def tol(dtype):
    return (1e-5, 1e-6) if dtype == "float32" else (1e-12, 1e-12)


# ---------------------------------------------------------------- forward vs CPU
@needs_gpu
@pytest.mark.parametrize("layout", ["contig", "permuted", "sliced"])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("op", list(OPS))
def test_reduce_matches_cpu(op, dtype, layout):
    fn, dtypes = OPS[op]
    if dtype not in dtypes:
        pytest.skip(f"{op} takes no {dtype}")
    c, g = gpu_view(values(SHAPE, dtype), layout)
    for dims, keepdim in itertools.product(DIMS, (False, True)):
        same(fn(g, dims, keepdim), fn(c, dims, keepdim), *tol(dtype))


@needs_gpu
@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(), (1,), (7,), (1, 4), (4, 1, 3), (3, 5, 2, 2), (2, 3, 1, 4, 2)])
def test_reduce_shapes(shape, dtype):
    a = values(shape, dtype, seed=1)
    c, g = gpu_view(a, "contig")
    dim_sets = [None] + [tuple(s) for r in range(1, len(shape) + 1)
                         for s in itertools.combinations(range(len(shape)), r)]
    if not shape:
        dim_sets += [0, -1]
    for op, (fn, dtypes) in OPS.items():
        if dtype not in dtypes:
            continue
        for dims in dim_sets:
            for keepdim in (False, True):
                same(fn(g, dims, keepdim), fn(c, dims, keepdim), *tol(dtype))


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
@pytest.mark.parametrize("layout", ["contig", "permuted", "sliced"])
def test_arg_ops_match_cpu(dtype, layout):
    c, g = gpu_view(values(SHAPE, dtype, seed=2), layout)
    for dim, keepdim in itertools.product([None, 0, 1, 2, -1], (False, True)):
        if dtype != "bool":
            same(dc.argmax(g, dim, keepdim), dc.argmax(c, dim, keepdim))
            same(dc.argmin(g, dim, keepdim), dc.argmin(c, dim, keepdim))
        if dim is not None:
            for f in (dc.max, dc.min):
                gv, gi = f(g, dim, keepdim)
                cv, ci = f(c, dim, keepdim)
                same(gv, cv)
                same(gi, ci)
    same(dc.max(g), dc.max(c))
    same(dc.min(g), dc.min(c))


@needs_gpu
def test_zero_d_and_size_one():
    for a in (np.array(2.5), np.array([[3.0]])):
        c, g = gpu_view(a, "contig")
        for op, (fn, _) in OPS.items():
            for dims in (None, 0, -1):
                same(fn(g, dims, True), fn(c, dims, True))
        same(dc.argmax(g, 0), dc.argmax(c, 0))


# ---------------------------------------------------------------- big sizes: multi-block paths
@needs_gpu
@pytest.mark.parametrize("dtype", FLOATS)
def test_full_reduction_two_pass(dtype):
    n = (1 << 20) + 3  # not a multiple of any block or chunk size
    a = values((n,), dtype, seed=3)
    c, g = gpu_view(a, "contig")
    ref = a.astype(np.float64)
    rt = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(dc.sum(g).item(), ref.sum(), rtol=rt, atol=1e-6)
    np.testing.assert_allclose(dc.mean(g).item(), ref.mean(), rtol=rt, atol=1e-9)
    np.testing.assert_allclose(dc.var(g).item(), ref.var(ddof=1), rtol=rt * 10)
    np.testing.assert_allclose(dc.std(g).item(), ref.std(ddof=1), rtol=rt * 10)
    for f in (dc.amax, dc.amin, dc.argmax, dc.argmin, dc.all, dc.any):
        same(f(g), f(c))
    assert dc.argmax(g).item() == int(np.argmax(a))
    # A permuted 3-d view of the same data, reduced whole.
    a3 = a[: 64 * 128 * 128].reshape(64, 128, 128)
    c3, g3 = gpu_view(a3, "permuted")
    np.testing.assert_allclose(dc.sum(g3).item(), a3.astype(np.float64).sum(), rtol=rt, atol=1e-6)
    same(dc.argmax(g3), dc.argmax(c3))
    same(dc.argmin(g3, 1), dc.argmin(c3, 1))


@needs_gpu
@pytest.mark.parametrize("dtype", FLOATS)
def test_rows_and_columns_4096(dtype):
    a = values((4096, 4096), dtype, seed=4)
    c, g = gpu_view(a, "contig")
    ref = a.astype(np.float64)
    rt = 1e-5 if dtype == "float32" else 1e-12
    for dim in (0, 1):
        np.testing.assert_allclose(dc.sum(g, dim).cpu().numpy(), ref.sum(dim), rtol=rt, atol=1e-5)
        np.testing.assert_allclose(dc.var(g, dim).cpu().numpy(), ref.var(dim, ddof=1), rtol=rt)
        for f in (dc.amax, dc.amin, dc.argmax, dc.argmin):
            same(f(g, dim), f(c, dim))
        gv, gi = dc.max(g, dim)
        cv, ci = dc.max(c, dim)
        same(gv, cv)
        same(gi, ci)
    # The transposed view: its rows are strided, its columns contiguous.
    gt, ct = g.t(), c.t()
    for dim in (0, 1):
        same(dc.sum(gt, dim), dc.sum(ct, dim), rt, 1e-5)
        same(dc.argmax(gt, dim), dc.argmax(ct, dim))


@needs_gpu
def test_few_outputs_long_reductions():
    # Few outputs and long reductions: the split (two-pass) row and column paths.
    for shape, dims in [((3, 300_000), 1), ((300_000, 3), 0), ((5, 70_000, 2), (0, 1)),
                        ((2, 50_000, 7), 1), ((100_000, 10), 1)]:
        a = values(shape, "float64", seed=5)
        c, g = gpu_view(a, "contig")
        for op, (fn, _) in OPS.items():
            same(fn(g, dims, False), fn(c, dims, False), 1e-10, 1e-10)
        if isinstance(dims, int):
            same(dc.argmax(g, dims), dc.argmax(c, dims))
            same(dc.argmin(g, dims), dc.argmin(c, dims))


@needs_gpu
def test_many_long_rows():
    # 9000 outputs of 700 elements: a warp per output although K > 512.
    a = values((9000, 700), "float32", seed=19)
    c, g = gpu_view(a, "contig")
    for op, (fn, _) in OPS.items():
        same(fn(g, 1, False), fn(c, 1, False), 1e-5, 1e-6)
    same(dc.argmax(g, 1), dc.argmax(c, 1))
    same(dc.min(g, 1).indices, dc.min(c, 1).indices)


@needs_gpu
def test_int_and_bool_sums():
    big = np.array([2 ** 62, 2 ** 62, 2 ** 62, -5] * 1000, dtype=np.int64)  # wraps as the CPU
    c, g = gpu_view(big, "contig")
    same(dc.sum(g), dc.sum(c))
    b = values((1 << 18,), "bool", seed=6)
    c, g = gpu_view(b, "contig")
    assert dc.sum(g).dtype == dc.int64
    assert dc.sum(g).item() == int(b.sum())
    i = values((513, 257), "int64", seed=7)
    c, g = gpu_view(i, "contig")
    for d in (None, 0, 1):
        same(dc.sum(g, d), dc.sum(c, d))


# ---------------------------------------------------------------- NaN, ties, empty
@needs_gpu
@pytest.mark.parametrize("dtype", FLOATS)
def test_nan_propagation_and_ties(dtype):
    a = values((6, 70), dtype, seed=8)
    a[1, 3] = np.nan
    a[2, 5] = a[2, 40] = np.nan  # first NaN wins for arg ops
    a[3, :] = 1.0  # all ties: index 0
    a[4, 10] = a[4, 60] = 5.0  # a tied max: the first
    a[5, :] = -np.inf
    c, g = gpu_view(a, "contig")
    for dim in (None, 0, 1):
        for f in (dc.amax, dc.amin, dc.sum, dc.mean, dc.var):
            same(f(g) if dim is None else f(g, dim), f(c) if dim is None else f(c, dim))
        for f in (dc.argmax, dc.argmin):
            same(f(g, dim), f(c, dim))
    assert dc.argmax(g, 1).cpu().tolist() == [int(np.argmax(a[0])), 3, 5, 0, 10, 0]
    assert math.isnan(dc.amax(g).item()) and math.isnan(dc.amin(g).item())
    # NaNs far apart in a long reduction: split into chunks, the first still wins.
    n = 1 << 20
    big = np.zeros(n, dtype=NP[dtype])
    big[n - 7] = big[12345] = np.nan
    big[777] = 1.0
    c, g = gpu_view(big, "contig")
    assert dc.argmax(g).item() == 12345 == dc.argmax(c).item()
    assert dc.argmin(g).item() == 12345
    same(dc.amax(g), dc.amax(c))
    ties = np.full(n, 3.0, dtype=NP[dtype])
    c, g = gpu_view(ties, "contig")
    assert dc.argmax(g).item() == 0 and dc.argmin(g).item() == 0


@needs_gpu
def test_empty_reductions():
    for shape in [(0,), (3, 0), (0, 4), (2, 0, 3)]:
        a = np.zeros(shape, dtype=np.float32)
        c, g = gpu_view(a, "contig")
        for op in ("sum", "mean", "var", "std", "all", "any"):
            fn = OPS[op][0]
            for dims in [None] + list(range(len(shape))):
                same(fn(g, dims, False), fn(c, dims, False))
                same(fn(g, dims, True), fn(c, dims, True))
    g = dc.zeros((0,), device="cuda")
    assert dc.sum(g).item() == 0
    assert math.isnan(dc.mean(g).item())
    assert dc.all(g).item() is True and dc.any(g).item() is False
    with pytest.raises(RuntimeError, match="amax"):
        dc.amax(g)
    with pytest.raises(RuntimeError):
        dc.max(g)
    with pytest.raises(IndexError, match="argmax"):
        dc.argmax(g)
    g2 = dc.zeros((0, 3), device="cuda")
    with pytest.raises(IndexError):
        dc.max(g2, 0)
    # reducing a non-empty dim of an empty tensor is fine
    assert tuple(dc.amax(g2, 1).shape) == (0,)
    assert tuple(dc.argmax(g2, 1).shape) == (0,)


@needs_gpu
def test_var_correction_edges():
    a = values((5, 3), "float64", seed=9)
    c, g = gpu_view(a, "contig")
    for corr in (0, 1, 2, 5, 7, 0.5):
        for dim in (None, 0, 1):
            same(dc.var(g, dim, correction=corr), dc.var(c, dim, correction=corr))
            same(dc.std(g, dim, correction=corr), dc.std(c, dim, correction=corr))
    # Welford stays accurate around a large mean (a naive sum of squares would not).
    x = (1e8 + np.arange(4096, dtype=np.float64) % 7).astype(np.float32)
    c, g = gpu_view(x, "contig")
    np.testing.assert_allclose(dc.var(g).item(), x.astype(np.float64).var(ddof=1), rtol=1e-5)


# ---------------------------------------------------------------- autograd
def _grads(a, device, f):
    x = dc.tensor(a, device=device, requires_grad=True)
    f(x).backward()
    return x.grad


@needs_gpu
@pytest.mark.parametrize("name, f", [
    ("sum", lambda x: (dc.sum(x, 1) * dc.arange(5.0, dtype=dc.float64, device=x.device)).sum()),
    ("mean", lambda x: dc.mean(x, (0, 2), keepdim=True).sum()),
    ("var", lambda x: dc.var(x, 1).sum()),
    ("std", lambda x: dc.std(x, (0, 1)).sum()),
    ("amax", lambda x: dc.amax(x, 2).sum()),
    ("amin", lambda x: dc.amin(x).sum()),
    ("max_dim", lambda x: dc.max(x, 1).values.sum()),
    ("min_dim", lambda x: (dc.min(x, 0, keepdim=True).values * 2.0).sum()),
    ("logsumexp", lambda x: dc.logsumexp(x, 1).sum()),
    ("norm", lambda x: dc.norm(x, dim=2).sum()),
])
def test_backward_matches_cpu(name, f):
    a = values((3, 4, 5), "float64", seed=10)
    a[0, 0, :2] = 1.5  # a tie for max/min gradients
    a[1, :, 0] = 1.5
    gg, gc = _grads(a, "cuda", f), _grads(a, "cpu", f)
    assert gg.device.type == "cuda"
    same(gg, gc, 1e-10, 1e-12)


# ---------------------------------------------------------------- errors
@needs_gpu
def test_errors_match_cpu():
    g = dc.zeros((2, 3), device="cuda")
    with pytest.raises(IndexError):
        dc.sum(g, 2)
    with pytest.raises(RuntimeError, match="multiple times"):
        dc.sum(g, (0, 0))
    with pytest.raises(TypeError):
        dc.mean(dc.zeros((2,), dtype=dc.int64, device="cuda"))
    with pytest.raises(TypeError):
        dc.argmax(dc.zeros((2,), dtype=dc.bool, device="cuda"))


@needs_gpu
def test_many_dims_raise_cleanly():
    # 22 dims, every other one reduced: 11 kept dims that cannot merge, more
    # than the kernel's limit, so a clear NotImplementedError (never a crash).
    g = dc.zeros((2,) * 22, device="cuda")
    with pytest.raises(NotImplementedError, match="sum"):
        dc.sum(g, tuple(range(0, 22, 2)))
