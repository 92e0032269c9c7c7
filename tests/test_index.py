"""Indexing: t[key], t[key] = v, gather, index_select, masked_fill, take_along_dim,
nonzero, masked_select, and the native _C.index / index_put_ / gather / scatter_add_.

Forward results are compared with numpy (and with PyTorch when it is importable);
where PyTorch and numpy disagree (an int mixed with index arrays: PyTorch applies
the int first, as a select) the table gives the numpy expression of PyTorch's rule.
"""
import warnings

import numpy as np
import pytest

import deepcore as dc
from deepcore import _C
from deepcore.autograd import gradcheck

B = np.array
SHAPES = {0: (), 1: (10,), 2: (5, 6), 3: (3, 4, 5), 4: (2, 3, 4, 5)}
M2 = B([True, False, True, False, True])
M34 = np.arange(12).reshape(3, 4) % 3 == 0
M45 = np.arange(20).reshape(4, 5) % 4 == 1

# (ndim, key, reference): reference None means numpy's a[key]; else a function of a.
KEYS = [
    (0, (), None), (0, None, None), (0, Ellipsis, None), (0, (None, None), None),
    (0, (Ellipsis, None), None), (0, True, None), (0, False, None), (0, B(True), None),
    (0, (None, True), None),
    (1, 0, None), (1, -1, None), (1, 9, None), (1, slice(None), None), (1, slice(2, 7), None),
    (1, slice(None, None, 3), None), (1, slice(-3, None), None), (1, slice(5, 2), None),
    (1, slice(20, 30), None), (1, slice(-100, 100, 4), None), (1, None, None),
    (1, Ellipsis, None), (1, (), None), (1, (None, Ellipsis), None), (1, (Ellipsis, None), None),
    (1, (None, 3), None), (1, [0, 3, 3, -1], None), (1, [], None), (1, B([4, 0]), None),
    (1, B([[1, 2], [3, -4]]), None), (1, B([True, False] * 5), None), (1, B([False] * 10), None),
    (1, True, None), (1, False, None), (1, (True, [1, 2]), None), (1, ([1, 2], None), None),
    (1, (slice(1, 4), None), None), (1, (Ellipsis, [2, -2]), None), (1, B(3), None),
    (1, B(-2), None), (1, [True, False, True, False, False, False, False, False, False, True], None),
    (1, range(2, 5), None), (1, (B([1, 2]),), None),
    (2, 1, None), (2, -5, None), (2, (1, 2), None), (2, (-1, -6), None), (2, (slice(None), 2), None),
    (2, (slice(1, 4), slice(None, None, 2)), None), (2, (None, 1, None), None),
    (2, (Ellipsis, 0), None), (2, (0, Ellipsis), None), (2, ([0, 4], [1, 5]), None),
    (2, [[0, 4], [1, 5]], lambda a: a[[0, 4], [1, 5]]),  # a list of lists reads as a tuple
    (2, ([[0], [4]], [1, 5, 2]), None), (2, ([0, 0, 2],), None), (2, (slice(None), [5, 0, 0]), None),
    (2, (slice(1, 3), [0, -1]), None), (2, ([1, 2], slice(2, 5)), None), (2, (2, [0, 1, 1]), None),
    (2, ([2, 3], 1), None), (2, (M2, slice(None)), None), (2, (slice(None), B([True, False] * 3)), None),
    (2, (M2, 2), None), (2, (None, [1, 2], None, [0, 1]), None), (2, ([], slice(None)), None),
    (2, (slice(None), []), None), (2, (slice(3, 3), [0, 1]), None), (2, (True, 1), None),
    (2, (1, True), None), (2, ([1, 2], True), None), (2, (B([0, 1]), B([[2], [3]])), None),
    (2, (B(np.arange(30).reshape(5, 6) % 7 == 2),), None), (2, B(np.zeros((5, 6), bool)), None),
    (2, (B(1), B([0, 5])), None), (2, (slice(None), False), None),
    (3, (0, 1, 2), None), (3, (slice(None), slice(None), 1), None), (3, (Ellipsis, 1), None),
    (3, (1, Ellipsis, 1), None), (3, (None, 1, None, 2), None),
    (3, ([0, 2], slice(None), [1, 3]), None), (3, (slice(None), [0, 3], [1, 4]), None),
    (3, ([0, 2], [1, 3], slice(None)), None), (3, ([0, 2], None, [1, 3]), None),
    (3, (0, slice(None), [0, 1]), lambda a: a[0][:, [0, 1]]),  # numpy: shape (2, 4)
    (3, (slice(None), 0, [1, 2]), None), (3, ([0, 1], 0, [1, 2]), None),
    (3, ([[0], [2]], slice(1, 3), [[1, 2, 3]]), None), (3, (Ellipsis, [4, 0]), None),
    (3, (Ellipsis, [4, 0], None), None), (3, (None, Ellipsis, [1]), None), (3, (M34,), None),
    (3, (slice(None), M45), None), (3, (M34, [0, 1, 2, 3]), None), (3, (M34, 1), None),
    (3, (1, B([True, False, False, True])), None), (3, ([1], [[2], [3]], [[[1]]]), None),
    (3, (slice(None, None, 2), [1, 1], slice(1, None)), None),
    (3, (slice(None), slice(None), [4, -5, 0]), None), (3, (slice(5, 9), [0, 1]), None),
    (3, (B(np.zeros((3, 4), bool)), [1]), None),
    (4, (0, slice(None), [0, 2], slice(None)), lambda a: a[0][:, [0, 2], :]),
    (4, ([1, 0], slice(None), [2, 3], slice(None)), None),
    (4, (slice(None), [0, 2], [3, 1], 0), None), (4, (Ellipsis, [0, 1], [2, 3]), None),
    (4, ([0], Ellipsis, [4]), None), (4, (1, 2, 3, 4), None),
    (4, (slice(None), None, 1, Ellipsis, [0, 0]), lambda a: a[:, None][:, :, 1][..., [0, 0]]),
    (4, (B(np.ones((2, 3), bool)), slice(1, 3)), None),
    (4, (slice(None), B(np.eye(3, 4, dtype=bool)), 0), None),
    (4, (None, [[0, 1]], None, slice(None), [[1], [2]]), None),
    (4, ([1, 0], [2, 1], [3, 0], [4, 1]), None), (4, (0, 1, [2, 3], -1), None),
    (4, (slice(None, None, 2), slice(1, None), slice(None, 3), slice(None, None, 2)), None),
]
KEY_IDS = [f"{n}d-{i}" for i, (n, _, _) in enumerate(KEYS)]


def _base(ndim, dtype="float64"):
    a = np.arange(int(np.prod(SHAPES[ndim], dtype=np.int64)))
    if dtype == "bool":
        return (a % 3 == 0).reshape(SHAPES[ndim])
    if dtype == "int64":
        return (a - 7).reshape(SHAPES[ndim])
    return (a * 0.5 - 3).astype(dtype).reshape(SHAPES[ndim])


def _tensor(a, layout):
    """a as a deepcore tensor: contiguous, transposed (a permuted copy seen back in
    a's order) or strided (every other element of a larger buffer)."""
    if layout == "contiguous" or a.ndim == 0:
        return dc.tensor(a)
    if layout == "transposed":
        rev = list(range(a.ndim))[::-1]
        t = dc.tensor(np.ascontiguousarray(a.transpose(rev))).permute(rev)
    else:
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
        big[..., ::2] = a
        t = dc.Tensor._make(_C.slice(dc.tensor(big)._a, a.ndim - 1, 0, None, 2))
    assert not t.is_contiguous() or a.size <= 1 or (layout == "transposed" and a.ndim == 1)
    return t


def _dc_key(key):
    """The key with its numpy arrays turned into deepcore tensors."""
    if isinstance(key, tuple):
        return tuple(_dc_key(k) for k in key)
    if isinstance(key, np.ndarray):
        return dc.tensor(key)
    return key


def _expected(a, key, ref):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(ref(a) if ref else a[key])


def _check(got, expected):
    assert got.shape == expected.shape
    assert got.dtype.name == str(expected.dtype).replace("bool", "bool")
    np.testing.assert_array_equal(got.numpy(), expected)


# ------------------------------------------------------------------ forward
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "strided"])
@pytest.mark.parametrize("ndim,key,ref", KEYS, ids=KEY_IDS)
def test_getitem_matches_numpy(ndim, key, ref, layout):
    for dtype in ("float64", "float32", "int64", "bool"):
        a = _base(ndim, dtype)
        x = _tensor(a, layout)
        expected = _expected(a, key, ref)
        _check(x[key], expected)
        _check(x[_dc_key(key)], expected)


@pytest.mark.parametrize("ndim,key,ref", KEYS, ids=KEY_IDS)
def test_getitem_matches_torch(ndim, key, ref):
    torch = pytest.importorskip("torch")

    def torch_key(k):
        if isinstance(k, tuple):
            return tuple(torch_key(i) for i in k)
        return torch.from_numpy(k) if isinstance(k, np.ndarray) else k
    a = _base(ndim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.from_numpy(a)[torch_key(key)].numpy()
    got = dc.tensor(a)[_dc_key(key)]
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got.numpy(), expected)


def test_basic_keys_give_views():
    t = dc.arange(24.0).reshape(4, 6)
    for key in [1, (slice(1, 3),), (slice(None), 2), (None, 1), (Ellipsis, slice(None, None, 2)),
                (), Ellipsis, (dc.tensor(2), slice(1, 4))]:
        v = t[key]
        assert np.shares_memory(v.numpy(), t.numpy()), key
    t[1:3][0] = 5
    assert (t.numpy()[1] == 5).all()
    t[:, 1][2] = -1.0
    assert t.numpy()[2, 1] == -1
    v = t[None, ..., 3]
    v[0, 0] = 100
    assert t.numpy()[0, 3] == 100
    # Advanced keys copy.
    for key in [[0, 1], (slice(None), [1]), t > 3.0, True]:
        c = t[key]
        assert not np.shares_memory(c.numpy(), t.numpy()), key


def test_zero_d_tensor():
    t = dc.tensor(3.5)
    assert t[()].shape == () and t[()].item() == 3.5
    assert t[None].shape == (1,) and t[...].shape == ()
    assert t[None, None].shape == (1, 1)
    assert t[True].shape == (1,) and t[False].shape == (0,)
    t[()] = 2
    assert t.item() == 2.0
    t[...] = dc.tensor([[7.0]])  # leading size-1 dims are dropped, as PyTorch
    assert t.item() == 7.0
    for key in [0, slice(None), [0], dc.tensor(0), dc.tensor([0])]:
        with pytest.raises(IndexError, match="too many indices"):
            t[key]


def test_iteration_and_numpy_integer_keys():
    t = dc.arange(6).reshape(3, 2)
    assert [r.tolist() for r in t] == [[0, 1], [2, 3], [4, 5]]
    assert t[np.int64(2), np.int32(1)].item() == 5
    assert t[np.array([2, 0], dtype=np.int32)].tolist() == [[4, 5], [0, 1]]
    assert t[np.uint8(1)].tolist() == [2, 3]


def test_large_gather_uses_all_paths():
    rng = np.random.default_rng(0)
    # 1-element blocks, many positions (parallel over positions).
    a = rng.standard_normal(1000)
    idx = rng.integers(-1000, 1000, size=200_000)
    np.testing.assert_array_equal(dc.tensor(a)[dc.tensor(idx)].numpy(), a[idx])
    # Few big blocks, non-adjacent indexed dims, non-contiguous source.
    b = rng.standard_normal((40, 30, 64))
    x = _tensor(b, "transposed")
    i0, i2 = rng.integers(0, 40, (3, 5)), rng.integers(0, 64, (5,))
    np.testing.assert_array_equal(x[i0, :, i2].numpy(), b[i0, :, i2])
    np.testing.assert_array_equal(x[:, [3, 0, 29]].numpy(), b[:, [3, 0, 29]])
    # Enough work to split over threads, with chunks ending inside blocks.
    c = rng.standard_normal((500, 301))
    rows = rng.integers(-500, 500, 401)
    np.testing.assert_array_equal(dc.tensor(c)[rows].numpy(), c[rows])
    cols = rng.integers(0, 301, 777)
    np.testing.assert_array_equal(dc.tensor(c)[:64, cols].numpy(), c[:64, cols])
    np.testing.assert_array_equal(_tensor(c, "transposed")[rows[:, None], 5:].numpy(), c[rows[:, None], 5:])


# ------------------------------------------------------------------ native ops
def _native(x):
    return _C.from_numpy(np.ascontiguousarray(x))


def test_native_index_matches_numpy():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 5, 6, 7))
    A = _native(a)
    cases = [
        [None, rng.integers(0, 5, (2, 3))],
        [rng.integers(-4, 4, (3,)), None, rng.integers(0, 6, (3,))],
        [None, rng.integers(0, 5, (2, 1)), rng.integers(0, 6, (1, 4))],
        [rng.integers(0, 4, ()), rng.integers(0, 5, (2,))],
        [None, None, None, rng.integers(-7, 7, (8,))],
        [],
        [None],
    ]
    for inds in cases:
        key = tuple(slice(None) if i is None else i for i in inds)
        got = _C.to_numpy(_C.index(A, [None if i is None else _native(i) for i in inds]))
        np.testing.assert_array_equal(got, a[key] if key else a)
    # Strided index arrays (a column of an int matrix) work as well.
    cols = _C.from_numpy(np.array([[0, 3], [1, 2], [4, 4]]))
    got = _C.to_numpy(_C.index(A, [None, _C.select(cols, 1, 0)]))
    np.testing.assert_array_equal(got, a[:, [0, 1, 4]])


def test_native_index_errors():
    A = _native(np.zeros((10, 3)))
    with pytest.raises(IndexError, match=r"index: index 12 is out of bounds for dimension 0 with size 10"):
        _C.index(A, [_native(np.array([1, 12]))])
    with pytest.raises(IndexError, match=r"index -4 is out of bounds for dimension 1 with size 3"):
        _C.index(A, [None, _native(np.array([-4]))])
    with pytest.raises(IndexError, match=r"too many indices for tensor of dimension 2"):
        _C.index(A, [None, None, None])
    with pytest.raises(IndexError, match=r"must be int64.*got float64"):
        _C.index(A, [_native(np.array([0.0]))])
    with pytest.raises(IndexError, match=r"shapes \(2,\), \(3,\)"):
        _C.index(A, [_native(np.array([0, 1])), _native(np.array([0, 1, 2]))])
    with pytest.raises(IndexError, match="out of bounds for dimension 0 with size 0"):
        _C.index(_native(np.zeros((0, 3))), [_native(np.array([0]))])
    assert tuple(_C.index(_native(np.zeros((0, 3))), [_native(np.zeros(0, np.int64))]).shape) == (0, 3)


def test_native_index_put_accumulate_and_assign():
    rng = np.random.default_rng(2)
    # Accumulate with duplicates: np.add.at is the reference (integer values: exact sums).
    for shape, inds in [((10,), [rng.integers(-10, 10, 3000)]),
                        ((50, 300), [rng.integers(0, 50, 400)]),
                        ((6, 7, 8), [rng.integers(0, 6, (4, 5)), None, rng.integers(0, 8, (5,))])]:
        a = rng.integers(-5, 5, shape).astype(np.float64)
        key = tuple(slice(None) if i is None else i for i in inds)
        vals = rng.integers(-3, 4, a[key].shape).astype(np.float64)
        expected = a.copy()
        np.add.at(expected, key, vals)
        A = _native(a.copy())
        v0 = A.version
        _C.index_put_(A, [None if i is None else _native(i) for i in inds], _native(vals), True)
        np.testing.assert_array_equal(_C.to_numpy(A), expected)
        assert A.version > v0
    # Assign: the last write of a repeated index wins, as in numpy.
    a = np.zeros(5)
    A = _native(a)
    _C.index_put_(A, [_native(np.array([1, 3, 1]))], _native(np.array([7.0, 8.0, 9.0])), False)
    np.testing.assert_array_equal(a, [0, 9, 0, 8, 0])
    # Values broadcast to the indexed shape.
    m = np.zeros((3, 4), np.int64)
    _C.index_put_(_native(m), [None, _native(np.array([0, 2]))], _native(np.array([[1], [2], [3]])), False)
    np.testing.assert_array_equal(m, [[1, 0, 1, 0], [2, 0, 2, 0], [3, 0, 3, 0]])
    # Bool accumulate is a logical or.
    b = np.zeros(3, bool)
    _C.index_put_(_native(b), [_native(np.array([0, 0]))], _native(np.array([True, True])), True)
    np.testing.assert_array_equal(b, [True, False, False])


def test_native_index_put_is_deterministic():
    rng = np.random.default_rng(3)
    idx = _native(rng.integers(0, 20, 5000))
    vals = _native(rng.standard_normal((5000, 200)).astype(np.float32))
    results = []
    for _ in range(3):
        A = _native(np.zeros((20, 200), np.float32))
        _C.index_put_(A, [idx], vals, True)
        results.append(_C.to_numpy(A).copy())
    assert all(np.array_equal(r, results[0]) for r in results)
    ref = np.zeros((20, 200))
    np.add.at(ref, _C.to_numpy(idx), _C.to_numpy(vals).astype(np.float64))
    np.testing.assert_allclose(results[0], ref, rtol=1e-4, atol=1e-4)


def test_native_index_put_errors():
    A = _native(np.zeros((4, 3)))
    i = [_native(np.array([0, 1]))]
    with pytest.raises(TypeError, match="index_put_: values of dtype float32 cannot be put into a tensor of dtype float64"):
        _C.index_put_(A, i, _native(np.zeros(3, np.float32)), False)
    with pytest.raises(dc.ShapeError, match=r"value tensor of shape \(4,\) cannot be broadcast to indexing result of shape \(2, 3\)"):
        _C.index_put_(A, i, _native(np.zeros(4)), False)
    with pytest.raises(IndexError, match="index_put_: index 4 is out of bounds for dimension 0 with size 4"):
        _C.index_put_(A, [_native(np.array([4]))], _native(np.zeros(3)), False)
    expanded = _C.expand(_native(np.zeros((1, 3))), [4, 3])
    with pytest.raises(RuntimeError, match="single memory location"):
        _C.index_put_(expanded, i, _native(np.zeros(3)), True)


def test_native_index_put_aliasing_values():
    a = np.arange(6.0)
    A = _native(a)
    # a[[1, 2, 3]] = a[0:3] reads the values before writing.
    _C.index_put_(A, [_native(np.array([1, 2, 3]))], _C.slice(A, 0, 0, 3, 1), False)
    np.testing.assert_array_equal(a, [0, 0, 1, 2, 4, 5])


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_nonzero_matches_numpy(dtype):
    rng = np.random.default_rng(4)
    for shape in [(), (7,), (3, 0), (4, 5), (2, 3, 4), (300, 400)]:
        a = (rng.random(shape) < 0.3).astype(dtype) if dtype != "bool" else rng.random(shape) < 0.3
        if dtype.startswith("float") and a.size:
            a.flat[0] = np.nan  # NaN counts as non-zero, as in numpy and PyTorch
        for x in {_tensor(a, "contiguous"), _tensor(a, "transposed")} if a.ndim else [dc.tensor(a)]:
            got = dc.nonzero(x)
            assert got.dtype is dc.int64 and got.shape == (np.count_nonzero(a), a.ndim)
            np.testing.assert_array_equal(got.numpy(), np.argwhere(a))
    cols = dc.nonzero(dc.tensor([[1, 0], [0, 3]]), as_tuple=True)
    assert [c.tolist() for c in cols] == [[0, 1], [0, 1]]
    assert [c.tolist() for c in dc.tensor(5.0).nonzero(as_tuple=True)] == [[0]]
    assert dc.argwhere(dc.tensor([0, 2, 3])).tolist() == [[1], [2]]


# ------------------------------------------------------------------ gather family
def _np_gather(a, dim, idx):
    grid = list(np.indices(idx.shape, sparse=True))
    grid[dim] = idx
    return a[tuple(grid)]


def test_gather_matches_numpy():
    rng = np.random.default_rng(5)
    for dtype in ("float32", "float64", "int64", "bool"):
        a = _base(3, dtype)
        for layout in ("contiguous", "transposed", "strided"):
            x = _tensor(a, layout)
            for dim in (0, 1, 2, -1):
                shape = list(a.shape)
                shape[dim] = 7  # longer than the dim itself is fine along dim
                idx = rng.integers(0, a.shape[dim], shape)
                _check(dc.gather(x, dim, dc.tensor(idx)), np.take_along_axis(a, idx, dim))
                small = idx[:2, :3, :4]  # smaller than a in the other dims
                _check(x.gather(dim, dc.tensor(small)), _np_gather(a, dim % 3, small))
                strided = dc.tensor(small)[:, :, ::2]  # a non-contiguous index
                _check(x.gather(dim, strided), _np_gather(a, dim % 3, small[:, :, ::2]))
    # 0-d input and index count as 1-d.
    assert dc.gather(dc.tensor(5.0), 0, dc.tensor(0)).shape == ()
    assert dc.gather(dc.tensor(5.0), 0, dc.tensor([0, 0])).tolist() == [5.0, 5.0]
    assert dc.gather(dc.arange(3.0), 0, dc.tensor(2)).item() == 2.0
    assert dc.gather(dc.zeros(2, 3), 1, dc.zeros(0, 5, dtype=dc.int64)).shape == (0, 5)


def test_gather_errors():
    a = dc.arange(6.0).reshape(2, 3)
    with pytest.raises(IndexError, match="gather: index -1 is out of bounds for dimension 1 with size 3"):
        dc.gather(a, 1, dc.tensor([[0], [-1]]))
    with pytest.raises(IndexError, match="gather: index 3 is out of bounds"):
        dc.gather(a, 1, dc.tensor([[0], [3]]))
    with pytest.raises(dc.ShapeError, match="same number of dimensions"):
        dc.gather(a, 1, dc.tensor([0]))
    with pytest.raises(dc.ShapeError, match="size does not match at dimension 1"):
        dc.gather(a, 0, dc.tensor([[0, 1, 1, 0]]))
    with pytest.raises(TypeError, match="expected an int64 index tensor, got float32"):
        dc.gather(a, 1, dc.tensor([[0.0]]))
    with pytest.raises(IndexError, match="dimension out of range"):
        dc.gather(a, 2, dc.tensor([[0]]))


def test_scatter_add_matches_numpy():
    rng = np.random.default_rng(6)
    for dim in (0, 1, -1):
        a = rng.integers(-3, 3, (4, 5, 6)).astype(np.float64)
        shape = [3, 4, 5]
        shape[dim] = 9
        idx = rng.integers(0, a.shape[dim], shape)
        src = rng.integers(-3, 3, [s + 1 for s in shape]).astype(np.float64)  # larger than index
        expected = a.copy()
        grid = list(np.indices(idx.shape))
        grid[dim] = idx
        np.add.at(expected, tuple(grid), src[tuple(slice(0, s) for s in idx.shape)])
        x = dc.tensor(a)
        v0 = x._a.version
        x.scatter_add_(dim, dc.tensor(idx), dc.tensor(src))
        np.testing.assert_array_equal(x.numpy(), expected)
        assert x._a.version > v0
        np.testing.assert_array_equal(dc.scatter_add(dc.tensor(a), dim, dc.tensor(idx), dc.tensor(src)).numpy(), expected)
    with pytest.raises(dc.ShapeError, match="no larger than"):
        dc.zeros(2, 3).scatter_add_(1, dc.tensor([[0, 0, 0]]), dc.ones(1, 2))
    with pytest.raises(TypeError, match="src of dtype float64 does not match the tensor's dtype float32"):
        dc.zeros(2, 3).scatter_add_(1, dc.tensor([[0]]), dc.ones(1, 1, dtype=dc.float64))
    with pytest.raises(IndexError, match="scatter_add_: index 5 is out of bounds for dimension 1 with size 3"):
        dc.zeros(2, 3).scatter_add_(1, dc.tensor([[0, 5]]), dc.ones(1, 4))


def test_take_along_dim():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((3, 4))
    x = dc.tensor(a)
    idx = np.array([[0], [3], [-1]])
    np.testing.assert_array_equal(dc.take_along_dim(x, dc.tensor(idx), 1).numpy(),
                                  np.take_along_axis(a, idx % 4, 1))
    # Broadcasting of the other dims, and no dim (flattened).
    idx2 = np.array([[2, 0, 1, 2]])
    np.testing.assert_array_equal(x.take_along_dim(dc.tensor(idx2), 0).numpy(),
                                  np.take_along_axis(a, idx2, 0))
    np.testing.assert_array_equal(dc.take_along_dim(x[:, :1], dc.tensor(idx2), 0).numpy(),
                                  np.take_along_axis(np.broadcast_to(a[:, :1], (3, 4)), idx2, 0))
    np.testing.assert_array_equal(dc.take_along_dim(x, dc.tensor([[11, 0]])).numpy(), a.reshape(-1)[[11, 0]])
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        dc.take_along_dim(x, dc.tensor([0]), 1)
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        dc.take_along_dim(x, dc.tensor([[0, 1]] * 2), 1)


def test_index_select():
    a = _base(3)
    for layout in ("contiguous", "transposed"):
        x = _tensor(a, layout)
        for dim in (0, 1, 2, -2):
            idx = np.array([0, a.shape[dim] - 1, 0])
            _check(dc.index_select(x, dim, dc.tensor(idx)), np.take(a, idx, axis=dim))
            _check(x.index_select(dim, dc.tensor(1)), np.take(a, [1], axis=dim))
            _check(x.index_select(dim, dc.tensor(np.zeros(0, np.int64))), np.take(a, [], axis=dim))
    assert dc.index_select(dc.tensor(5.0), 0, dc.tensor([0])).shape == ()
    x = dc.arange(6.0).reshape(2, 3)
    with pytest.raises(IndexError, match="index must be a 0-d or 1-d tensor"):
        x.index_select(1, dc.tensor([[0]]))
    with pytest.raises(IndexError, match="index -1 is out of range"):
        x.index_select(1, dc.tensor([-1]))
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 1 with size 3"):
        x.index_select(1, dc.tensor([3]))
    with pytest.raises(TypeError, match="int64"):
        x.index_select(1, dc.tensor([1.0]))
    with pytest.raises(IndexError, match="dimension out of range"):
        x.index_select(2, dc.tensor([1]))


def test_masked_fill_and_select():
    rng = np.random.default_rng(8)
    a = rng.standard_normal((3, 4))
    m = rng.random((3, 4)) < 0.5
    for layout in ("contiguous", "transposed"):
        x = _tensor(a, layout)
        np.testing.assert_array_equal(x.masked_fill(dc.tensor(m), -1.5).numpy(), np.where(m, -1.5, a))
        np.testing.assert_array_equal(dc.masked_fill(x, dc.tensor(m[1]), dc.tensor(2.0)).numpy(),
                                      np.where(m[1], 2.0, a))
        np.testing.assert_array_equal(dc.masked_select(x, dc.tensor(m)).numpy(), a[m])
        np.testing.assert_array_equal(x.masked_select(dc.tensor(m[:, :1])).numpy(),
                                      a[np.broadcast_to(m[:, :1], a.shape)])
    # Broadcasting input against the mask, int64 with a float value (truncated).
    assert dc.zeros(3).masked_fill(dc.ones(2, 3, dtype=dc.bool), 1.0).shape == (2, 3)
    assert dc.zeros(2, dtype=dc.int64).masked_fill(dc.tensor([True, False]), 1.5).tolist() == [1, 0]
    assert dc.masked_select(dc.tensor(3.0), dc.tensor(True)).tolist() == [3.0]
    assert dc.masked_select(dc.arange(3.0), dc.tensor([[True, False, True], [False, False, True]])).tolist() == [0.0, 2.0, 2.0]
    t = dc.zeros(2, 3)
    assert t.masked_fill_(dc.tensor([True, False, True]), 4.0) is t
    assert t.tolist() == [[4.0, 0.0, 4.0]] * 2
    with pytest.raises(TypeError, match="masked_fill: expected a bool mask, got float32"):
        t.masked_fill(dc.ones(3), 1.0)
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        t.masked_fill(dc.ones(3, dtype=dc.bool), dc.tensor([1.0]))
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        t.masked_fill(dc.ones(2, 2, dtype=dc.bool), 1.0)
    with pytest.raises(RuntimeError, match="does not broadcast"):
        dc.zeros(3).masked_fill_(dc.ones(2, 3, dtype=dc.bool), 1.0)
    with pytest.raises(TypeError, match="masked_select: expected a bool mask"):
        dc.masked_select(t, dc.ones(3, dtype=dc.int64))


# ------------------------------------------------------------------ setitem
def test_setitem_matches_numpy():
    rng = np.random.default_rng(9)
    cases = [
        (1, 5.0), ((slice(None), 2), rng.standard_normal(5)), (slice(1, 4), rng.standard_normal((3, 6))),
        ((slice(None), slice(None, None, 2)), rng.standard_normal((1, 3))), (Ellipsis, 1.0),
        ([0, 2, 4], rng.standard_normal((3, 6))), ((slice(None), [1, 3]), rng.standard_normal((5, 1))),
        (([0, 1], [5, 4]), rng.standard_normal(2)), (np.arange(30).reshape(5, 6) % 4 == 1, 9.0),
        (np.arange(30).reshape(5, 6) % 4 == 1, rng.standard_normal(8)),
        ((np.array([True, False, True, False, False]), slice(2, 4)), rng.standard_normal((2, 2))),
        ((1, [0, 0]), rng.standard_normal(2)), ((None, 2), rng.standard_normal(6)),
        ([], 3.0), ((slice(None), False), 2.0), (True, rng.standard_normal((1, 5, 6))),
    ]
    for layout in ("contiguous", "transposed", "strided"):
        for key, value in cases:
            a = _base(2)
            x = _tensor(a, layout)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                a[key] = value
            x[_dc_key(key)] = dc.tensor(value) if isinstance(value, np.ndarray) else value
            np.testing.assert_array_equal(x.numpy(), a, err_msg=f"{layout} {key!r}")


def test_setitem_values_and_dtypes():
    x = dc.zeros(2, 3, 4)
    x[0] = dc.ones(1, 1, 3, 4)  # leading size-1 dims dropped, as PyTorch
    x[[0, 1]] = dc.ones(1, 1, 2, 3, 4) * 2.0
    assert (x.numpy() == 2).all()
    n = dc.zeros(2, 3, dtype=dc.int64)
    n[0] = 2.7  # numbers convert to the tensor's dtype
    n[1, [0, 2]] = -1
    assert n.tolist() == [[2, 2, 2], [-1, 0, -1]]
    b = dc.zeros(3, dtype=dc.bool)
    b[0] = 2
    b[[2]] = True
    assert b.tolist() == [True, False, True]
    f = dc.zeros(3)
    f[:2] = dc.tensor([1, 2])  # basic keys convert like copy_
    assert f.tolist() == [1.0, 2.0, 0.0]
    with pytest.raises(TypeError, match="values of dtype int64 cannot be put into a tensor of dtype float32"):
        f[[0, 1]] = dc.tensor([1, 2])
    with pytest.raises(RuntimeError, match=r"value tensor of shape \(4, 2, 2\) cannot be broadcast to indexing result of shape \(2, 2, 4\)"):
        x[:, [0, 1]] = dc.ones(4, 2, 2)
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        x[0] = dc.ones(2, 3, 4)
    for bad in ["a", [1, 2], np.ones(4), None]:
        with pytest.raises(TypeError, match="can't assign"):
            f[0] = bad
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        f[[0, 5]] = 1.0


def test_setitem_and_autograd():
    w = dc.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="setitem: in-place operations on a tensor that requires grad"):
        w[0] = 2.0
    with pytest.raises(RuntimeError, match="requires grad"):
        dc.zeros(3)[0] = w[1]
    with dc.no_grad():
        w[0] = 2.0
        w[[1, 2]] = dc.tensor([3.0, 4.0])
    assert w.tolist() == [2.0, 3.0, 4.0] and w.requires_grad
    # setitem bumps the version: a tensor saved for backward can't be changed silently.
    for key in (0, [0]):
        t = dc.ones(3)
        out = w * t
        t[key] = 5.0
        with pytest.raises(RuntimeError, match="modified by an in-place operation"):
            out.backward(dc.ones(3))


def test_index_put_method():
    x = dc.zeros(5)
    x.index_put_((dc.tensor([0, 0, 3]),), dc.tensor([1.0, 2.0, 3.0]), accumulate=True)
    assert x.tolist() == [3.0, 0.0, 0.0, 3.0, 0.0]
    m = dc.zeros(2, 3)
    m.index_put_((dc.tensor([[True, False, True], [False, True, False]]),), dc.tensor([1.0, 2.0, 3.0]))
    assert m.tolist() == [[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]]
    with pytest.raises(TypeError, match="tuple of tensors"):
        x.index_put_(dc.tensor([0]), dc.tensor([1.0]))


# ------------------------------------------------------------------ errors
ERRORS = [
    (1, 10, IndexError, "index 10 is out of bounds for dimension 0 with size 10"),
    (1, -11, IndexError, "index -11 is out of bounds for dimension 0 with size 10"),
    (2, (0, 6), IndexError, "index 6 is out of bounds for dimension 0 with size 6"),
    (1, [0, 12], IndexError, "index 12 is out of bounds for dimension 0 with size 10"),
    (2, (slice(None), [-7]), IndexError, "index -7 is out of bounds for dimension 1 with size 6"),
    (1, [[1, 2], [3, -4]], IndexError, "too many indices for tensor of dimension 1"),
    (2, (0, 0, 0), IndexError, "too many indices for tensor of dimension 2"),
    (2, (B(np.ones((5, 6), bool)), 0), IndexError, "too many indices"),
    (1, B([True, False]), IndexError, "shape of the mask"),
    (3, (slice(None), B(np.ones((3, 5), bool))), IndexError, r"mask \(3, 5\) does not match the shape \(4, 5\)"),
    (1, B([0.0, 1.0]), IndexError, "used as indices must be .*bool.*got float64"),
    (1, [0.5], IndexError, "used as indices must be .*bool.*got float64"),
    (1, 1.0, IndexError, r"only integers, slices .* \(got float\)"),
    (1, "a", IndexError, r"\(got str\)"),
    (1, {1: 2}, IndexError, r"\(got dict\)"),
    (1, slice(None, None, -1), ValueError, "step must be greater than zero"),
    (1, slice(None, None, 0), ValueError, "slice step cannot be zero"),
    (1, slice(1.0, 2), TypeError, "slice indices must be integers"),
    (2, (Ellipsis, 0, Ellipsis), IndexError, "single ellipsis"),
    (2, ([0, 1], [0, 1, 2]), IndexError, r"could not be broadcast together with shapes \(2,\), \(3,\)"),
    (1, (None,) * 64, IndexError, "too many dimensions"),
    (1, 2 ** 64, IndexError, f"index {2 ** 64} is out of bounds for dimension 0 with size 10"),
]


@pytest.mark.parametrize("ndim,key,exc,match", ERRORS, ids=[f"err{i}" for i in range(len(ERRORS))])
def test_getitem_errors(ndim, key, exc, match):
    x = dc.tensor(_base(ndim))
    with pytest.raises(exc, match=match):
        x[key]
    with pytest.raises(exc, match=match):
        x[_dc_key(key)] = 1.0


def test_tensor_key_errors():
    x = dc.arange(10.0)
    with pytest.raises(IndexError, match="tensors used as indices must be int64 or bool tensors, got float32"):
        x[dc.tensor([0.0, 1.0])]
    with pytest.raises(IndexError, match="out of bounds"):
        x[dc.tensor(10)]


@pytest.mark.parametrize("ndim,key,exc,match", ERRORS[:10], ids=[f"err{i}" for i in range(10)])
def test_errors_match_torch_types(ndim, key, exc, match):
    torch = pytest.importorskip("torch")

    def torch_key(k):
        if isinstance(k, tuple):
            return tuple(torch_key(i) for i in k)
        return torch.from_numpy(k) if isinstance(k, np.ndarray) else k
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc):
            torch.from_numpy(_base(ndim))[torch_key(key)]


# ------------------------------------------------------------------ gradients
def _leaf(shape, seed=0):
    return dc.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=dc.float64,
                     requires_grad=True)


GRAD_KEYS = [
    ((), ()), ((), None), ((), True), ((), False), ((5,), 2), ((5,), slice(1, 4)), ((5,), slice(None, None, 2)), ((4, 3), (None, 1)),
    ((4, 3), (Ellipsis, 0)), ((2, 3, 4), (1, slice(None), slice(1, 3))), ((3,), ()),
    ((5,), [0, 0, 3, -1]), ((4, 3), ([1, 1], [2, 2])), ((4, 3), (slice(None), [2, 0, 2])),
    ((2, 3, 4), ([0, 1, 0], slice(None), [3, 3, 1])), ((2, 3, 4), (1, [0, 2], slice(1, 3))),
    ((2, 3, 4), (slice(0, 2), None, [1, 1], 2)), ((4, 3), True),
    ((4, 3), B([[True, False, True]] * 4)), ((2, 3, 4), (slice(None), B([True, False, True]))),
    ((2, 3, 4), (B([[True, False, True], [False, True, True]]), [0, 3, 3, 1])),
]


@pytest.mark.parametrize("shape,key", GRAD_KEYS, ids=[f"g{i}" for i in range(len(GRAD_KEYS))])
def test_getitem_gradcheck(shape, key):
    x = _leaf(shape)
    assert gradcheck(lambda t: t[_dc_key(key)], (x,))


def test_getitem_gradient_values():
    x = _leaf((4, 3))
    x[[0, 0, 3], 1].backward(dc.tensor([1.0, 2.0, 3.0], dtype=dc.float64))
    expected = np.zeros((4, 3))
    expected[0, 1], expected[3, 1] = 3.0, 3.0
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    # Several views of one tensor: their gradients add up.
    x.grad = None
    (x[0] * 2.0 + x[1:3][0] + x[None, 1:, 0][0]).backward(dc.ones(3, dtype=dc.float64))
    g = np.zeros((4, 3))
    g[0] += 2
    g[1] += 1
    g[1:, 0] += 1
    np.testing.assert_array_equal(x.grad.numpy(), g)
    # An index tensor changed after forward makes backward refuse.
    idx = dc.tensor([0, 1])
    y = x[idx]
    idx[0] = 2
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward(dc.ones(2, 3, dtype=dc.float64))
    # No graph without requires_grad or under no_grad.
    with dc.no_grad():
        assert not x[[0]].requires_grad and not x[0].requires_grad
    assert x[0].requires_grad and x[[0]].requires_grad and x[0].grad_fn is not None


def test_gather_family_gradcheck():
    x = _leaf((3, 4))
    idx = dc.tensor([[0, 3, 3], [1, 1, 0], [2, 0, 0]])
    assert gradcheck(lambda t: dc.gather(t, 1, idx), (x,))
    assert gradcheck(lambda t: t.gather(0, dc.tensor([[2, 0, 0, 2], [1, 2, 2, 2]])), (x,))
    assert gradcheck(lambda t: dc.index_select(t, 1, dc.tensor([3, 3, 0])), (x,))
    assert gradcheck(lambda t: dc.index_select(t, 0, dc.tensor(1)), (x,))
    assert gradcheck(lambda t: dc.take_along_dim(t, dc.tensor([[0], [3], [-1]]), 1), (x,))
    src = _leaf((3, 5), seed=1)
    assert gradcheck(lambda t, s: dc.scatter_add(t, 1, idx, s), (x, src))
    assert gradcheck(lambda t: dc.masked_fill(t, dc.tensor([True, False, False, True]), 0.5), (x,))
    assert gradcheck(lambda t: dc.masked_select(t, dc.tensor([[True], [False], [True]])), (x,))


def test_broadcast_gradients_need_reductions():
    """masked_fill with a tensor value and take_along_dim with broadcasting sum their
    gradients (dc.sum, from the reductions family)."""
    x = _leaf((3, 4))
    v = dc.tensor(0.25, dtype=dc.float64, requires_grad=True)
    assert gradcheck(lambda t, s: dc.masked_fill(t, dc.tensor([True, False, False, True]), s), (x, v))
    assert gradcheck(lambda t: dc.take_along_dim(t[:, :1], dc.tensor([[2, 0, 1, 2]]), 0), (x,))
