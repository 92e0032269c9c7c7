"""GPU indexing against the CPU: x[key] (advanced, masks, mixed with basic
keys), index_put_ / setitem (assign and accumulate), nonzero, gather,
scatter_add and the ops built on them; big sizes, empty tensors, backward
through autograd, device rules and error paths."""
import numpy as np
import pytest

import deepcore as dc
from conftest import needs_gpu, same

ALL_DTYPES = ("float32", "float64", "int64", "bool")
NP = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "bool": np.bool_}


def values(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype == "int64":
        return rng.integers(-50, 50, size=shape).astype(np.int64)
    return rng.uniform(-2.0, 2.0, size=shape).astype(NP[dtype])


def pair(a, noncontig=False):
    """(cpu tensor, gpu tensor) equal to numpy array a; noncontig: transposed views."""
    if noncontig and a.ndim >= 2:
        base = np.ascontiguousarray(np.swapaxes(a, -1, -2))
        c = dc.tensor(base, device="cpu").transpose(-1, -2)
        g = dc.tensor(base, device="cuda").transpose(-1, -2)
        assert not g.is_contiguous()
        return c, g
    return dc.tensor(a, device="cpu"), dc.tensor(a, device="cuda")


def idx(a):
    """(cpu, gpu) int64 index tensors."""
    a = np.asarray(a, dtype=np.int64)
    return dc.tensor(a, device="cpu"), dc.tensor(a, device="cuda")


# Keys built from (cpu, gpu) index pairs: each entry is a function of them.
I0 = [2, -1, 0, 3, 2]
I1 = [[0, 1], [4, -5]]
KEYS = [
    lambda d: d(I0),
    lambda d: (slice(None), d(I0)),
    lambda d: (d(I0), d(I0)),  # two adjacent index arrays
    lambda d: (d([[0], [3]]), slice(None), d([1, 2, -1])),  # non-adjacent, broadcast: B first
    lambda d: (1, slice(None), d(I1)),
    lambda d: (Ellipsis, d(I1)),
    lambda d: (None, d(I0), slice(1, 4)),
    lambda d: (slice(None, None, 2), d(I1), 0),
    lambda d: d(np.zeros((0,), dtype=np.int64)),
]


@needs_gpu
@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("noncontig", [False, True])
@pytest.mark.parametrize("k", range(len(KEYS)))
def test_getitem_matches_cpu(k, dtype, noncontig):
    a = values((4, 5, 6), dtype, seed=k)
    c, g = pair(a, noncontig)
    key_c = KEYS[k](lambda v: idx(v)[0])
    key_g = KEYS[k](lambda v: idx(v)[1])
    same(g[key_g], c[key_c])
    same(g[key_c], c[key_c])  # CPU index tensors for a GPU tensor: moved, as PyTorch


@needs_gpu
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_masks_lists_and_bools(dtype):
    a = values((4, 5, 6), dtype, seed=1)
    c, g = pair(a)
    m = values((4, 5), "bool", seed=2)
    mc, mg = pair(m)
    same(g[mg], c[mc])
    same(g[mc], c[mc])  # a CPU mask for a GPU tensor
    same(g[:, mg[0]], c[:, mc[0]])
    same(g[g != 0] if dtype != "bool" else g[g], c[c != 0] if dtype != "bool" else c[c])
    same(g[[0, 2, 3]], c[[0, 2, 3]])
    same(g[[[0, 1], [1, 2]]], c[[[0, 1], [1, 2]]])
    same(g[True], c[True])
    same(g[False], c[False])
    same(g[np.array([3, 1])], c[np.array([3, 1])])
    same(dc.masked_select(g, mg[:, :, None]), dc.masked_select(c, mc[:, :, None]))


@needs_gpu
def test_embedding_sized_lookup():
    table = values((10000, 64), "float32", seed=3)
    ids = np.random.default_rng(4).integers(-10000, 10000, size=(128, 512))
    c, g = pair(table)
    ic, ig = idx(ids)
    out = g[ig]
    same(out, c[ic])
    np.testing.assert_array_equal(out.cpu().numpy(), table[ids])


# ---------------------------------------------------------------- index_put_ / setitem
@needs_gpu
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_index_put_matches_cpu(dtype):
    a = values((6, 7), dtype, seed=5)
    for accumulate in (False, True):
        for key, vshape in [((np.array([0, 2, 5]),), (3, 7)),
                            ((np.array([1, 3]), np.array([[0], [6]])), (2, 2)),
                            ((np.array([4, -1]),), (7,)),  # values broadcast
                            ((np.array([0, 0, 0, 5, 0]),), (5, 7))]:  # duplicates
            if not accumulate and len(key[0]) == 5:
                continue  # duplicate indices without accumulate: unspecified winner
            v = values(vshape, dtype, seed=6)
            c, g = pair(a)
            vc, vg = pair(v)
            dc_keys = [idx(k) for k in key]
            c.index_put_(tuple(k[0] for k in dc_keys), vc, accumulate)
            g.index_put_(tuple(k[1] for k in dc_keys), vg, accumulate)
            same(g, c, 1e-5, 1e-5)


@needs_gpu
def test_accumulate_many_duplicates():
    # 1M additions into 10 slots: atomics sum them all (int64 exactly).
    n = 1 << 20
    rng = np.random.default_rng(7)
    where = rng.integers(0, 10, size=n)
    for dtype in ("int64", "float64"):
        v = values((n,), dtype, seed=8)
        c, g = pair(np.zeros(10, dtype=NP[dtype]))
        vc, vg = pair(v)
        ic, ig = idx(where)
        c.index_put_((ic,), vc, True)
        g.index_put_((ig,), vg, True)
        same(g, c, 1e-9, 1e-9)
        ref = np.zeros(10, dtype=np.float64)
        np.add.at(ref, where, v.astype(np.float64))
        np.testing.assert_allclose(g.cpu().numpy(), ref, rtol=1e-9)


@needs_gpu
def test_setitem_matches_cpu():
    a = values((5, 6), "float32", seed=9)
    c, g = pair(a)
    ic, ig = idx([0, 3])
    for key_c, key_g, val in [(ic, ig, 1.5), ((slice(None), ic), (slice(None), ig), -2.0),
                              (c > 0, g > 0, 0.0), ((ic, ic), (ig, ig), 7.0)]:
        c[key_c] = val
        g[key_g] = val
        same(g, c)
    vc, vg = pair(values((2, 6), "float32", seed=10))
    c[ic] = vc
    g[ig] = vg
    same(g, c)
    g[ic] = vc  # CPU values (and index) for a GPU tensor: copied over, as copy_ would
    same(g, c)
    c[1:3] = 4.0
    g[1:3] = 4.0
    same(g, c)


# ---------------------------------------------------------------- nonzero
@needs_gpu
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_nonzero_matches_cpu(dtype):
    for shape in [(), (1,), (7,), (0,), (3, 0), (5, 6), (2, 3, 4), (3, 1, 2, 5)]:
        a = values(shape, dtype, seed=11)
        if dtype != "bool" and a.size:
            a.flat[:: 3] = 0
        c, g = pair(a)
        same(dc.nonzero(g), dc.nonzero(c))
        for gc, cc in zip(dc.nonzero(g, as_tuple=True), dc.nonzero(c, as_tuple=True)):
            same(gc, cc)
    c, g = pair(values((6, 5), dtype, seed=12), noncontig=True)
    same(dc.nonzero(g), dc.nonzero(c))


@needs_gpu
def test_nonzero_large_and_extremes():
    n = 3 * (1 << 20) + 17  # many tiles, a partial last one
    a = np.random.default_rng(13).random(n) < 0.3
    c, g = pair(a)
    out = dc.nonzero(g)
    np.testing.assert_array_equal(out.cpu().numpy()[:, 0], np.flatnonzero(a))
    same(out, dc.nonzero(c))
    for fill in (False, True):
        c, g = pair(np.full((1000, 999), fill))
        same(dc.nonzero(g), dc.nonzero(c))
    b = np.zeros((64, 64, 64), dtype=np.float32)
    b[0, 0, 0] = b[63, 63, 63] = b[17, 2, 40] = -1.0
    c, g = pair(b)
    assert dc.nonzero(g).cpu().tolist() == [[0, 0, 0], [17, 2, 40], [63, 63, 63]]


# ---------------------------------------------------------------- gather, scatter_add
@needs_gpu
@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("noncontig", [False, True])
def test_gather_scatter_add_match_cpu(dtype, noncontig):
    a = values((5, 6, 7), dtype, seed=14)
    rng = np.random.default_rng(15)
    for dim in (0, 1, 2, -1):
        n = a.shape[dim]
        ishape = [4, 5, 3]
        ishape[dim] = 9
        ix = rng.integers(0, n, size=ishape)
        c, g = pair(a, noncontig)
        ic, ig = pair(ix, noncontig)
        same(dc.gather(g, dim, ig), dc.gather(c, dim, ic))
        src = values(tuple(s + 1 for s in ishape), dtype, seed=16)  # larger than index
        sc, sg = pair(src, noncontig)
        same(dc.scatter_add(g, dim, ig, sg), dc.scatter_add(c, dim, ic, sc), 1e-5, 1e-5)
        tshape = [1, 1, 1]
        tshape[dim] = 4
        tc, tg = idx(rng.integers(-n, n, size=tshape))  # negative ones count from the end
        same(dc.take_along_dim(g, tg, dim), dc.take_along_dim(c, tc, dim))
    ic, ig = idx([4, 0, -2])
    same(dc.index_select(g, 0, ig[:2]), dc.index_select(c, 0, ic[:2]))
    with pytest.raises(IndexError):
        dc.index_select(g, 0, ig)


@needs_gpu
def test_scatter_add_many_duplicates_and_empty():
    n = 1 << 20
    ix = np.random.default_rng(17).integers(0, 5, size=(n, 1))
    src = np.ones((n, 1), dtype=np.int64)
    c, g = pair(np.zeros((5, 1), dtype=np.int64))
    ic, ig = idx(ix)
    sc, sg = pair(src)
    g.scatter_add_(0, ig, sg)
    c.scatter_add_(0, ic, sc)
    same(g, c)
    assert g.sum().item() == n
    e = dc.zeros((3, 0), device="cuda")
    same(dc.gather(e, 0, dc.zeros((2, 0), dtype=dc.int64, device="cuda")),
         dc.gather(dc.zeros((3, 0), device="cpu"), 0, dc.zeros((2, 0), dtype=dc.int64, device="cpu")))


# ---------------------------------------------------------------- autograd
def _grad(a, device, f):
    x = dc.tensor(a, device=device, requires_grad=True)
    f(x, device).backward()
    return x.grad


def _i(v, device):
    return dc.tensor(np.asarray(v, dtype=np.int64), device=device)


@needs_gpu
@pytest.mark.parametrize("f", [
    lambda x, d: (x[_i([0, 2, 0, 1], d)] * 2.0).sum(),  # duplicates accumulate
    lambda x, d: x[:, _i([[1, 1], [3, 0]], d)].pow(2).sum(),
    lambda x, d: x[x > 0].sum(),
    lambda x, d: dc.gather(x, 1, _i([[0, 0, 4], [1, 2, 2], [3, 3, 3]], d)).sum(),
    lambda x, d: (dc.scatter_add(x, 0, _i([[0, 1, 0, 2, 1]], d), x[1:2] * 3.0)).pow(2).sum(),
    lambda x, d: dc.masked_fill(x, x < 0, 0.5).sum(),
    lambda x, d: dc.index_select(x, 1, _i([4, 4, 0], d)).sum(),
    lambda x, d: dc.take_along_dim(x, _i([[0], [-1], [2]], d), 1).sum(),
])
def test_backward_matches_cpu(f):
    a = values((3, 5), "float64", seed=18)
    gg, gc = _grad(a, "cuda", f), _grad(a, "cpu", f)
    assert gg.device.type == "cuda"
    same(gg, gc, 1e-12, 1e-12)


# ---------------------------------------------------------------- devices and errors
@needs_gpu
def test_devices():
    c = dc.arange(10.0, device="cpu")
    g = dc.arange(10.0, device="cuda")
    ig = _i([1, 2], "cuda")
    with pytest.raises(RuntimeError, match="cpu.*cuda:0|cuda:0.*cpu"):
        c[ig]  # a GPU index for a CPU tensor
    with pytest.raises(RuntimeError, match="cpu.*cuda:0|cuda:0.*cpu"):
        c.index_put_((ig,), dc.zeros(2, device="cpu"), False)
    with pytest.raises(RuntimeError, match="cpu.*cuda:0|cuda:0.*cpu"):
        dc.gather(g, 0, _i([1], "cpu"))  # gather wants one device, as PyTorch
    with pytest.raises(RuntimeError, match="cpu.*cuda:0|cuda:0.*cpu"):
        dc.scatter_add(g, 0, ig, dc.ones(2, device="cpu"))
    with pytest.raises(RuntimeError, match="cpu.*cuda:0|cuda:0.*cpu"):
        g.index_put_((ig,), dc.ones(2, device="cpu"), True)
    assert g[_i([3], "cpu")].device.type == "cuda"
    g.index_put_((_i([0, 9], "cpu"),), dc.tensor(-1.0, device="cpu"), False)  # 0-d CPU value
    assert g.cpu().tolist() == [-1.0] + list(range(1, 9)) + [-1.0]


@needs_gpu
def test_range_errors_raise_before_writing():
    g = dc.arange(10.0, device="cuda")
    for bad in ([10], [-11], [0, 1, 2, 99, 5]):
        with pytest.raises(IndexError, match="out of bounds"):
            g[_i(bad, "cuda")]
        with pytest.raises(IndexError, match="out of bounds"):
            g.index_put_((_i(bad, "cuda"),), dc.zeros(len(bad), device="cuda"), True)
    # the first bad value (in order) is the one reported
    with pytest.raises(IndexError, match="index 12 "):
        g[_i([3, 12, -40, 11], "cuda")]
    with pytest.raises(IndexError, match="out of bounds"):
        dc.gather(g, 0, _i([10], "cuda"))
    with pytest.raises(IndexError, match="out of bounds"):
        g.scatter_add_(0, _i([-1], "cuda"), dc.ones(1, device="cuda"))
    np.testing.assert_array_equal(g.cpu().numpy(), np.arange(10.0))
    with pytest.raises(IndexError):
        g[_i([1], "cuda"), _i([1], "cuda")]  # too many indices
    with pytest.raises(IndexError):
        g[dc.tensor([1.0], device="cuda")]
