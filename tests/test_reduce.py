"""Reductions: forward against numpy (float64 references), backward by gradcheck,
thread-count independence, and the error paths."""
import math
import warnings

import numpy as np
import pytest

import deepcore as dc
from deepcore import _C
from deepcore.autograd import gradcheck

NP = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "bool": np.bool_}
DC = {"float32": dc.float32, "float64": dc.float64, "int64": dc.int64, "bool": dc.bool}
FLOATS = ("float32", "float64")
ALL_DTYPES = ("float32", "float64", "int64", "bool")

SHAPES = [(), (1,), (7,), (0,), (3, 4), (3, 0), (1, 4), (2, 3, 4), (4, 1, 3), (2, 0, 3),
          (3, 5, 2, 2)]


@pytest.fixture(autouse=True)
def _threads():
    n = dc.get_num_threads()
    yield
    dc.set_num_threads(n)


def values(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype == "int64":
        return rng.integers(-3, 4, size=shape).astype(np.int64)  # many ties
    return rng.uniform(-2.0, 2.0, size=shape).astype(NP[dtype])


def as_tensor(a, layout):
    """A tensor equal to numpy array a: contiguous, a permuted view, or a strided slice."""
    if layout == "contig" or a.ndim == 0:
        return dc.tensor(a)
    if layout == "permuted":
        rev = list(range(a.ndim))[::-1]
        t = dc.from_numpy(np.ascontiguousarray(a.transpose(rev))).permute(*rev)
    else:  # "sliced": every other element of a twice-as-long last dim
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
        big[..., ::2] = a
        t = dc.Tensor._make(_C.slice(dc.tensor(big)._a, a.ndim - 1, None, None, 2))
    assert t.shape == a.shape
    return t


def dim_choices(ndim):
    """(dim argument, numpy axis) pairs covering None, (), ints, negatives and tuples."""
    out = [(None, None), ((), None)]
    if ndim == 0:
        return out + [(0, None), (-1, None)]
    out += [(d, d) for d in range(ndim)] + [(-1, ndim - 1)]
    if ndim >= 2:
        out += [((0, -1), (0, ndim - 1)), ([ndim - 1, 0], (0, ndim - 1)),
                (tuple(range(ndim)), None)]
    if ndim >= 3:
        out.append(((-2, 0), (0, ndim - 2)))
    return out


def check(t, expected, rtol=1e-12, atol=1e-12, dtype=None):
    assert isinstance(t, dc.Tensor)
    got = t.detach().numpy()
    expected = np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    if dtype is not None:
        assert t.dtype == DC[dtype], (t.dtype, dtype)
    if expected.dtype.kind in "biu":
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)


def tol(dtype):
    return dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)


def np_ref(fn, a, axis, keepdims, **kw):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(a, axis=axis, keepdims=keepdims, **kw)


# ---------------------------------------------------------------- forward
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("layout", ["contig", "permuted", "sliced"])
def test_sum_all_any_forward(shape, dtype, layout):
    a = values(shape, dtype)
    t = as_tensor(a, layout)
    wide = a.astype(np.float64) if dtype in FLOATS else a.astype(np.int64)
    for dim, axis in dim_choices(len(shape)):
        for keepdim in (False, True):
            out_dtype = dtype if dtype in FLOATS else "int64"
            check(dc.sum(t, dim, keepdim), np_ref(np.sum, wide, axis, keepdim), dtype=out_dtype,
                  **tol(dtype))
            check(t.all(dim, keepdim), np_ref(np.all, a, axis, keepdim), dtype="bool")
            check(t.any(dim=dim, keepdim=keepdim), np_ref(np.any, a, axis, keepdim), dtype="bool")


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("layout", ["contig", "permuted", "sliced"])
def test_mean_var_std_forward(shape, dtype, layout):
    a = values(shape, dtype, seed=1)
    t = as_tensor(a, layout)
    a64 = a.astype(np.float64)
    for dim, axis in dim_choices(len(shape)):
        for keepdim in (False, True):
            check(t.mean(dim, keepdim), np_ref(np.mean, a64, axis, keepdim), dtype=dtype,
                  **tol(dtype))
            for correction in (0, 1, 2.5):
                ref = np_ref(np.var, a64, axis, keepdim, ddof=correction)
                check(dc.var(t, dim, keepdim=keepdim, correction=correction), ref, dtype=dtype,
                      **tol(dtype))
                check(t.std(dim, keepdim=keepdim, correction=correction), np.sqrt(ref),
                      dtype=dtype, **tol(dtype))
            check(t.var(dim, False, keepdim), np_ref(np.var, a64, axis, keepdim), **tol(dtype))
            check(t.var(dim, True, keepdim), np_ref(np.var, a64, axis, keepdim, ddof=1),
                  **tol(dtype))


def test_var_legacy_unbiased_positional_and_correction_beyond_n():
    a = np.array([1.0, 2.0, 4.0])
    t = dc.tensor(a)
    check(t.var(False), a.var())
    check(t.var(), a.var(ddof=1))
    check(t.var(correction=5), np.inf)            # divisor max(0, 3 - 5) = 0
    check(dc.tensor([3.0]).var(), np.nan)         # 0 / 0
    check(dc.tensor(np.zeros((0, 3))).var(0), np.full(3, np.nan))
    check(dc.tensor(np.zeros((0, 3))).mean(0), np.full(3, np.nan))


@pytest.mark.parametrize("shape", [s for s in SHAPES if 0 not in s])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("layout", ["contig", "permuted", "sliced"])
def test_amax_amin_forward(shape, dtype, layout):
    a = values(shape, dtype, seed=2)
    t = as_tensor(a, layout)
    for dim, axis in dim_choices(len(shape)):
        for keepdim in (False, True):
            check(dc.amax(t, dim, keepdim), np_ref(np.max, a, axis, keepdim), dtype=dtype)
            check(t.amin(dim, keepdim), np_ref(np.min, a, axis, keepdim), dtype=dtype)
    check(t.max(), a.max(), dtype=dtype)
    check(dc.min(t), a.min(), dtype=dtype)


def test_amax_keeps_size_zero_kept_dims():
    t = dc.zeros(0, 3)
    check(t.amax(1), np.zeros((0,)))
    check(t.amin(1, keepdim=True), np.zeros((0, 1)))
    assert t.max(1).values.shape == (0,) and t.argmax(1).shape == (0,)


@pytest.mark.parametrize("shape", [s for s in SHAPES if 0 not in s])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("layout", ["contig", "permuted", "sliced"])
def test_arg_and_max_dim_forward(shape, dtype, layout):
    a = values(shape, dtype, seed=3)
    t = as_tensor(a, layout)
    nd = len(shape)
    check(t.argmax(), np.argmax(a), dtype="int64")
    check(dc.argmin(t), np.argmin(a), dtype="int64")
    check(t.argmax(keepdim=True), np.argmax(a).reshape((1,) * nd))
    for d in ([0, -1] if nd == 0 else list(range(nd)) + [-1]):
        axis = None if nd == 0 else d
        for keepdim in (False, True):
            exp_i = np.argmax(a, axis=axis)
            exp_j = np.argmin(a, axis=axis)
            if keepdim and nd:
                exp_i = np.expand_dims(exp_i, axis)
                exp_j = np.expand_dims(exp_j, axis)
            check(t.argmax(d, keepdim), exp_i, dtype="int64")
            check(dc.argmin(t, dim=d, keepdim=keepdim), exp_j, dtype="int64")
            values_, indices = t.max(d, keepdim)
            check(indices, exp_i, dtype="int64")
            check(values_, np_ref(np.max, a, axis, keepdim and nd > 0), dtype=dtype)
            res = dc.min(t, d, keepdim=keepdim)
            check(res.indices, exp_j)
            check(res[0], np_ref(np.min, a, axis, keepdim and nd > 0))


def test_max_dim_on_bool_and_ties_first_occurrence():
    t = dc.tensor([[True, False, True], [False, False, False]])
    v, i = t.max(1)
    check(v, np.array([True, False]))
    check(i, np.array([0, 0]))
    x = dc.tensor([[1, 5, 5, 2], [7, 7, 7, 7]])
    check(x.argmax(1), np.array([1, 0]))
    check(x.argmin(1), np.array([0, 0]))
    check(x.argmax(), np.array(4))
    check(x.max(0).indices, np.array([1, 1, 1, 1]))


def test_nan_propagation():
    nan = math.nan
    a = np.array([[1.0, nan, 3.0, nan], [2.0, 0.5, -1.0, 4.0]])
    for dtype in FLOATS:
        t = dc.tensor(a.astype(NP[dtype]))
        check(t.sum(1), np.array([nan, 5.5]))
        check(t.mean(1), np.array([nan, 1.375]))
        check(t.amax(1), np.array([nan, 4.0]))
        check(t.amin(1), np.array([nan, -1.0]))
        check(t.max(), nan)
        check(t.argmax(1), np.array([1, 3]))   # NaN counts as the max, first one wins
        check(t.argmin(1), np.array([1, 2]))   # ... and as the min (PyTorch)
        check(t.argmax(), np.array(1))
        v, i = t.min(1)
        check(v, np.array([nan, -1.0]))
        check(i, np.array([1, 2]))
        assert math.isnan(t.var().item()) and math.isnan(t.std(1).numpy()[0])
        check(t.all(1), np.array([True, True]))
        # the transposed layout runs the column path
        check(t.t().amax(0), np.array([nan, 4.0]))
        check(t.t().argmax(0), np.array([1, 3]))


def test_infinities():
    inf = math.inf
    t = dc.tensor([[-inf, -inf], [inf, 1.0], [-inf, 2.0]], dtype=dc.float64)
    check(t.amax(1), np.array([-inf, inf, 2.0]))
    check(t.argmax(1), np.array([0, 0, 1]))
    check(t.sum(1), np.array([-inf, inf, -inf]))
    check(dc.logsumexp(t, 1), np.array([-inf, inf, 2.0]))


def test_expanded_input_with_zero_strides():
    base = np.arange(4.0)
    t = dc.tensor(base).expand(3, 4)
    check(t.sum(0), 3 * base)
    check(t.sum(1), np.full(3, base.sum()))
    check(t.var(0), np.zeros(4))
    check(t.argmax(0), np.zeros(4, dtype=np.int64))


def test_zero_d():
    t = dc.tensor(2.5)
    for f in (dc.sum, dc.mean, dc.amax, dc.amin):
        check(f(t), 2.5)
        check(f(t, 0), 2.5)
        check(f(t, -1, keepdim=True), 2.5)
    v, i = t.max(0)
    check(v, 2.5)
    check(i, np.array(0))
    check(t.argmax(), np.array(0))
    check(dc.sum(dc.tensor(3)), np.array(3))


def test_int_sum_is_exact_and_bool_sum_counts():
    a = np.array([2 ** 53 + 1, 2 ** 53, -3], dtype=np.int64)
    check(dc.tensor(a).sum(), np.array(a.sum()), dtype="int64")
    b = values((5, 6), "bool")
    check(dc.tensor(b).sum(0), b.sum(0), dtype="int64")


def test_sum_and_mean_dtype_argument():
    t = dc.tensor([[1, 2], [3, 4]])
    check(t.sum(dtype=dc.float64), np.array(10.0), dtype="float64")
    check(t.mean(0, dtype=dc.float32), np.array([2.0, 3.0]), dtype="float32")


# ---------------------------------------------------------------- large inputs, threads
LARGE = [((1 << 20,), None), ((1100, 1000), (1,)), ((1100, 1000), (0,)), ((3, 400_000), (1,)),
         ((400_000, 3), (0,)), ((8, 64, 2100), (0, 2)), ((70, 50, 300), (1,))]


@pytest.mark.parametrize("shape,dims", LARGE)
@pytest.mark.parametrize("dtype", FLOATS)
def test_large_threaded_matches_numpy_and_is_thread_independent(shape, dims, dtype):
    a = values(shape, dtype, seed=4) + NP[dtype](0.5)  # mostly positive: long carries
    t = dc.tensor(a)
    a64 = a.astype(np.float64)
    ops = {
        "sum": (lambda: t.sum(dims), lambda: a64.sum(dims)),
        "mean": (lambda: t.mean(dims), lambda: a64.mean(dims)),
        "var": (lambda: t.var(dims), lambda: a64.var(dims, ddof=1)),
        "amax": (lambda: t.amax(dims), lambda: a64.max(dims)),
        "any": (lambda: (t > 2.4).any(dims), lambda: (a > 2.4).any(dims)),
    }
    if dims is not None and len(dims) == 1:
        ops["argmin"] = (lambda: t.argmin(dims[0]), lambda: a.argmin(dims[0]))
        ops["max_values"] = (lambda: t.max(dims[0])[0], lambda: a64.max(dims[0]))
    else:
        ops["argmax"] = (lambda: t.argmax(), lambda: np.argmax(a))
    for name, (ours, ref) in ops.items():
        dc.set_num_threads(1)
        one = ours().numpy()
        dc.set_num_threads(2)
        two = ours().numpy()
        np.testing.assert_array_equal(one, two, err_msg=name)
        exp = ref()
        if np.asarray(exp).dtype.kind in "biu":
            np.testing.assert_array_equal(two, exp, err_msg=name)
        else:
            np.testing.assert_allclose(two, exp, rtol=1e-5 if dtype == "float32" else 1e-10,
                                       err_msg=name)


@pytest.mark.parametrize("layout", ["contig", "permuted", "sliced"])
def test_arg_ties_and_nans_across_lanes_blocks_and_layouts(layout):
    # Long runs use independent lanes, long reductions split into blocks, and
    # permuted layouts visit indices out of order: the first index must still win.
    a = values((300, 400), "int64", seed=5)
    t = as_tensor(a, layout)
    check(t.argmax(), np.argmax(a))
    check(t.argmin(), np.argmin(a))
    for d in (0, 1):
        check(t.argmax(d), np.argmax(a, axis=d))
        check(t.min(d).indices, np.argmin(a, axis=d))
        check(t.amax(d), a.max(axis=d))
        check(t.sum(d), a.sum(axis=d))
    f = values((300, 400), "float64", seed=6)
    f[5, 37] = f[5, 70] = f[200, 3] = f[7, 399] = np.nan
    t = as_tensor(f, layout)
    check(t.argmax(), np.argmax(f))
    check(t.argmax(1), np.argmax(f, axis=1))
    check(t.argmin(0), np.argmin(f, axis=0))
    check(t.amax(1), f.max(axis=1))
    check(t.amin(0), f.min(axis=0))
    check(t.amax(), np.nan)
    for th in (1, 2):
        dc.set_num_threads(th)
        check(t.max(0).indices, np.argmax(f, axis=0))


@pytest.mark.parametrize("dtype", FLOATS)
def test_arg_of_long_float_rows_ties_nans_and_signed_zeros(dtype):
    # Contiguous float runs of 32+ take the two-array lane fold: ties in any
    # lanes and blocks go to the first index, the first NaN wins, all -inf or
    # all +-0 rows give index 0, and max(dim) reports the value at that index.
    rng = np.random.default_rng(11)
    n = 1000
    a = rng.integers(-3, 4, size=(12, n)).astype(NP[dtype])  # many ties per row
    a[1, [17, 500, 999]] = 9.0
    a[2, [999]] = 9.0
    a[3, [40, 41, 900]] = np.nan
    a[4, [n - 1]] = np.nan
    a[5] = -np.inf
    a[6] = 0.0
    a[6, ::3] = -0.0
    a[7, [33, 34]] = np.inf
    a[8, [0]] = -np.inf
    a[9, [100]] = np.nan
    a[9, [5]] = np.inf
    for rows in (a, a[:, 3:]):  # the unaligned tail of a run too
        t = dc.tensor(rows)
        check(t.argmax(1), np.argmax(rows, axis=1))
        check(t.argmin(1), np.argmin(rows, axis=1))
        check(t.max(1).indices, np.argmax(rows, axis=1))
        check(t.max(1).values, rows.max(axis=1))
        check(t.min(1).values, rows.min(axis=1))
        check(t.argmax(), np.argmax(rows))
    z = dc.tensor(np.array([-0.0] * 20 + [0.0] * 20, dtype=NP[dtype]))
    assert z.argmax().item() == 0 and np.signbit(z.max(0).values.item())


def test_arg_of_a_float32_run_longer_than_one_chunk():
    # Lane indices are float32, exact below 2^24: longer runs go in chunks.
    n = (1 << 24) + 100
    a = np.zeros(n, dtype=np.float32)
    a[(1 << 24) + 7] = a[(1 << 24) + 9] = 2.0
    a[(1 << 24) - 1] = -1.0
    t = dc.tensor(a)
    assert t.argmax().item() == (1 << 24) + 7
    assert t.argmin().item() == (1 << 24) - 1
    a[3] = 2.0
    assert dc.tensor(a).argmax().item() == 3


def test_float32_sum_accuracy():
    # A float32 running sum of 4e6 copies of 0.1 is off by percents; ours is exact
    # to float32 rounding of the float64 result.
    for layout in ((1 << 22,), (1 << 11, 1 << 11)):
        a = np.full(layout, 0.1, dtype=np.float32)
        ref = a.astype(np.float64).sum()
        assert abs(dc.tensor(a).sum().item() - ref) <= 1e-6 * ref
        ref0 = a.astype(np.float64).sum(0)
        if a.ndim == 2:
            np.testing.assert_allclose(dc.tensor(a).sum(0).numpy(), ref0, rtol=1e-6)


# ---------------------------------------------------------------- backward
def leaf(shape, seed=0):
    """float64 leaf with distinct values (max-like ops are differentiable there)."""
    rng = np.random.default_rng(seed)
    n = math.prod(shape)
    a = (rng.permutation(n) + rng.uniform(0.1, 0.9, n)).reshape(shape) / n * 4 - 2
    return dc.tensor(a, requires_grad=True)


GRAD_DIMS = [None, 0, -1, (0, 2), (-1, 1), ()]


@pytest.mark.parametrize("dim", GRAD_DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_gradcheck_sum_mean_var_std(dim, keepdim):
    x = leaf((2, 3, 2))
    assert gradcheck(lambda x: x.sum(dim, keepdim), (x,))
    assert gradcheck(lambda x: dc.mean(x, dim, keepdim), (x,))
    assert gradcheck(lambda x: x.var(dim, keepdim=keepdim), (x,))
    assert gradcheck(lambda x: x.var(dim, keepdim=keepdim, correction=0), (x,))
    assert gradcheck(lambda x: dc.std(x, dim, keepdim=keepdim), (x,))


@pytest.mark.parametrize("dim", GRAD_DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_gradcheck_amax_amin_logsumexp_norm(dim, keepdim):
    x = leaf((2, 3, 2), seed=1)
    assert gradcheck(lambda x: x.amax(dim, keepdim), (x,))
    assert gradcheck(lambda x: dc.amin(x, dim, keepdim), (x,))
    assert gradcheck(lambda x: dc.logsumexp(x, dim, keepdim), (x,))
    for p in (1, 2, math.inf):
        assert gradcheck(lambda x: x.norm(p, dim, keepdim), (x,))


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_gradcheck_max_min_along_dim(dim, keepdim):
    x = leaf((3, 4), seed=2)
    assert gradcheck(lambda x: x.max(dim, keepdim).values, (x,))
    assert gradcheck(lambda x: dc.min(x, dim, keepdim)[0], (x,))
    assert gradcheck(lambda x: x.max(), (x,))
    assert gradcheck(lambda x: x.min(), (x,))


def test_gradcheck_noncontiguous_and_zero_d():
    x = leaf((3, 4), seed=3)
    assert gradcheck(lambda x: x.t().sum(0), (x,))
    assert gradcheck(lambda x: x.t().var(1), (x,))
    assert gradcheck(lambda x: x.t().max(0).values, (x,))
    s = dc.tensor(0.7, dtype=dc.float64, requires_grad=True)
    for f in (lambda s: s.sum(), lambda s: s.mean(0), lambda s: s.amax(), lambda s: s.max(0)[0],
              lambda s: s.logsumexp(0), lambda s: s.norm()):
        assert gradcheck(f, (s,))


def test_backward_ties_split_evenly_and_max_dim_to_index():
    x = dc.tensor([[1.0, 3.0, 3.0], [5.0, 2.0, 5.0]], requires_grad=True)
    x.amax(1).sum().backward()
    check(x.grad, np.array([[0, 0.5, 0.5], [0.5, 0, 0.5]]))
    x.grad = None
    x.max().backward()
    check(x.grad, np.array([[0, 0, 0], [0.5, 0, 0.5]]))
    x.grad = None
    x.amin().backward()
    check(x.grad, np.array([[1.0, 0, 0], [0, 0, 0]]))
    x.grad = None
    x.max(1).values.sum().backward()   # only the returned (first) index
    check(x.grad, np.array([[0, 1.0, 0], [1.0, 0, 0]]))
    x.grad = None
    x.min(0, keepdim=True)[0].sum().backward()
    check(x.grad, np.array([[1.0, 0, 1.0], [0, 1.0, 0]]))


def test_backward_special_points():
    z = dc.zeros(3, dtype=dc.float64, requires_grad=True)
    z.norm().backward()      # the subgradient 0 at x = 0, not nan
    check(z.grad, np.zeros(3))
    c = dc.tensor([2.0, 2.0], dtype=dc.float64, requires_grad=True)
    c.std().backward()       # std == 0: gradient 0
    check(c.grad, np.zeros(2))


def test_mean_backward_values():
    x = dc.tensor(np.ones((2, 5)), requires_grad=True)
    x.mean(1).sum().backward()
    check(x.grad, np.full((2, 5), 0.2))


def test_broadcast_add_sum_backward_uses_sum_to():
    a = dc.tensor(np.arange(3.0).reshape(3, 1), requires_grad=True)
    b = dc.tensor(np.arange(4.0), requires_grad=True)
    (a + b).sum().backward()
    check(a.grad, np.full((3, 1), 4.0))
    check(b.grad, np.full(4, 3.0))
    a.grad = b.grad = None
    (a * b).sum().backward()
    check(a.grad, np.full((3, 1), 6.0))
    check(b.grad, np.full(4, 3.0))


def test_integer_outputs_carry_no_grad():
    x = leaf((3, 4))
    assert not x.argmax(1).requires_grad
    assert not x.max(1).indices.requires_grad
    assert x.max(1).values.requires_grad
    assert not x.any().requires_grad
    with dc.no_grad():
        assert not x.sum().requires_grad


def test_return_type_unpacks():
    t = dc.tensor([[1.0, 4.0], [3.0, 2.0]])
    res = t.max(1)
    values_, indices = res
    assert res.values is values_ and res.indices is indices and res[1] is indices
    assert type(res).__name__ == "max" and len(res) == 2
    check(dc.max(t, dc.tensor([2.0, 2.0])), np.array([[2.0, 4.0], [3.0, 2.0]]))
    check(dc.min(t, dc.tensor([2.0, 2.0])), np.array([[1.0, 2.0], [2.0, 2.0]]))


def test_logsumexp_is_stable_and_matches_reference():
    a = np.array([[1000.0, 1000.0, -5.0], [-1000.0, -1001.0, -999.0]])
    t = dc.tensor(a)
    m = a.max(1, keepdims=True)
    ref = (m + np.log(np.exp(a - m).sum(1, keepdims=True)))[:, 0]
    check(t.logsumexp(1), ref)
    check(t.logsumexp((0, 1), keepdim=True), np.array([[1000.0 + math.log(2 + math.exp(-1005))]]))
    check(dc.logsumexp(dc.tensor([[1, 2], [3, 4]]), 1),
          np.log(np.exp([[1.0, 2.0], [3.0, 4.0]]).sum(1)), rtol=1e-6)
    check(dc.logsumexp(dc.zeros(0, 3), 0), np.full(3, -np.inf))


def test_norm_forward():
    a = values((4, 5), "float64", seed=7)
    t = dc.tensor(a)
    check(t.norm(), np.linalg.norm(a))
    check(dc.norm(t, 1, 1), np.abs(a).sum(1))
    check(t.norm(math.inf, 0, keepdim=True), np.abs(a).max(0, keepdims=True))
    check(t.norm("fro", (0, 1)), np.linalg.norm(a))


# ---------------------------------------------------------------- errors
def test_error_dims():
    t = dc.zeros(2, 3)
    with pytest.raises(IndexError, match=r"sum: dimension out of range .*\[-2, 1\].* 2"):
        t.sum(2)
    with pytest.raises(IndexError, match="amax: dimension out of range"):
        t.amax((0, -3))
    with pytest.raises(IndexError, match="argmax: dimension out of range"):
        t.argmax(5)
    with pytest.raises(IndexError, match="max: dimension out of range"):
        t.max(2)
    with pytest.raises(IndexError, match="sum: dimension out of range"):
        dc.tensor(1.0).sum(1)
    with pytest.raises(RuntimeError, match="mean: dim 1 appears multiple times"):
        t.mean((1, -1))
    with pytest.raises(RuntimeError, match="var: dim 0 appears multiple times"):
        t.var([0, 0])
    with pytest.raises(TypeError, match="sum: dim must be"):
        t.sum(1.0)
    with pytest.raises(TypeError, match="max: dim must be an int"):
        t.max((0, 1))
    with pytest.raises(TypeError, match="argmax: dim must be an int"):
        t.argmax((0,))
    with pytest.raises(TypeError, match="var: correction must be a number"):
        t.var(correction="1")


def test_error_dtypes():
    i = dc.tensor([[1, 2], [3, 4]])
    with pytest.raises(TypeError, match="mean: expected a floating point tensor.*int64"):
        i.mean()
    with pytest.raises(TypeError, match="var: expected a floating point tensor.*int64"):
        i.var(0)
    with pytest.raises(TypeError, match="std: expected a floating point tensor.*bool"):
        (i > 1).std()
    with pytest.raises(TypeError, match="argmax: not supported for bool"):
        (i > 1).argmax()
    with pytest.raises(TypeError, match="norm: expected a floating point tensor.*int64"):
        i.norm()
    with pytest.raises(ValueError, match="norm: p must be 1, 2, inf or 'fro', got 3"):
        i.double().norm(3)
    with pytest.raises(TypeError, match="sum: expected a Tensor"):
        dc.sum(np.ones(3))


def test_error_empty_reductions():
    e = dc.zeros(0, 3)
    unspecified = r"expected reduction dim to be specified .*\(0, 3\)"
    with pytest.raises(RuntimeError, match="amax: " + unspecified):
        e.amax()
    with pytest.raises(IndexError, match=r"amin: expected reduction dim 0 to have non-zero size "
                                         r".*\(0, 3\)"):
        e.amin(0)
    with pytest.raises(RuntimeError, match="^max: " + unspecified):
        e.max()
    with pytest.raises(RuntimeError, match="^min: expected reduction dim to be specified"):
        dc.min(e)
    with pytest.raises(IndexError, match="^max: expected reduction dim 0 to have non-zero size"):
        e.max(0)
    with pytest.raises(IndexError, match="argmax: expected reduction dim to be specified"):
        e.argmax()
    with pytest.raises(IndexError, match="argmin: expected reduction dim 0 to have non-zero"):
        e.argmin(0)
    with pytest.raises(IndexError, match="amax: expected reduction dim 0"):
        e.norm(math.inf, 0)
    # reductions with an identity are fine on empty sets
    check(e.sum(0), np.zeros(3))
    check(e.all(), np.array(True))
    check(e.any(1), np.zeros(0, dtype=bool))


# ---------------------------------------------------------------- PyTorch as a reference
def test_matches_torch_on_edge_semantics():
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, math.nan, 2.0], [3.0, 3.0, -1.0]])
    for ours, theirs in [
        (lambda t: t.argmax(1), lambda t: t.argmax(1)),
        (lambda t: t.argmin(), lambda t: t.argmin()),
        (lambda t: t.max(1).values, lambda t: t.max(1).values),
        (lambda t: t.max(0).indices, lambda t: t.max(0).indices),
        (lambda t: t.var(1, correction=3), lambda t: t.var(1, correction=3)),
        (lambda t: t.std(0, keepdim=True), lambda t: t.std(0, keepdim=True)),
        (lambda t: t.logsumexp(0), lambda t: t.logsumexp(0)),
        (lambda t: t.amin((0, 1), keepdim=True), lambda t: t.amin((0, 1), keepdim=True)),
    ]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = theirs(torch.tensor(a)).numpy()
        check(ours(dc.tensor(a)), expected)
    x = dc.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    tx = torch.tensor(x.detach().numpy(), requires_grad=True)
    (x.amax(1) * dc.tensor([1.0, 2.0])).sum().backward()
    (tx.amax(1) * torch.tensor([1.0, 2.0])).sum().backward()
    check(x.grad, tx.grad.numpy())


def test_extreme_grad_fn_names():
    x = dc.tensor([1.0, 3.0, 2.0], requires_grad=True)
    assert x.amax().grad_fn.name() == "AmaxBackward"
    assert x.amin().grad_fn.name() == "AminBackward"
    assert x.max().grad_fn.name() == "MaxBackward"
    assert x.min().grad_fn.name() == "MinBackward"
