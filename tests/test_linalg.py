"""matmul / @ and its narrower spellings (mm, bmm, mv, dot, outer): forward
against float64 numpy references, backward with gradcheck, error paths."""
import itertools
import re

import numpy as np
import pytest

import deepcore as dc
from deepcore.autograd import gradcheck

RNG = np.random.default_rng(1234)
SIZES = (0, 1, 2, 3, 7, 17, 64, 65)


def rand(shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def check(out, a, b):
    """out (a dc tensor) == a @ b within the rounding bound for its dtype.

    The reference is computed in float64 from the same inputs; a length-k dot
    product in precision u errs by at most about k*u*sum|a||b| (Higham's
    gamma_k), so the tolerance is that bound with a factor 2 of slack.
    """
    a = np.asarray(a)
    b = np.asarray(b)
    ref = np.matmul(a.astype(np.float64), b.astype(np.float64))
    got = out.numpy()
    assert got.shape == ref.shape
    assert got.dtype == np.result_type(a.dtype, b.dtype)
    if got.dtype == np.int64:
        np.testing.assert_array_equal(got, ref.astype(np.int64))
        return
    k = a.shape[-1]
    eps = np.finfo(got.dtype).eps
    bound = np.matmul(np.abs(a).astype(np.float64), np.abs(b).astype(np.float64))
    tol = 2 * (k + 1) * eps * bound + np.finfo(got.dtype).tiny
    err = np.abs(got.astype(np.float64) - ref)
    assert np.all(err <= tol), f"max error {err.max()} (tolerance {tol.max()})"


# ------------------------------------------------------------------ forward
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_2d_all_sizes(dtype):
    for m, k, n in itertools.product(SIZES, SIZES, SIZES):
        a, b = rand((m, k), dtype), rand((k, n), dtype)
        check(dc.from_numpy(a) @ dc.from_numpy(b), a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_vector_cases_all_sizes(dtype):
    for m, k in itertools.product(SIZES, SIZES):
        a, v = rand((m, k), dtype), rand((k,), dtype)
        check(dc.from_numpy(a) @ dc.from_numpy(v), a, v)      # 2-D x 1-D
        check(dc.from_numpy(v) @ dc.from_numpy(a.T.copy()), v, a.T)  # 1-D x 2-D
    for k in SIZES:
        x, y = rand((k,), dtype), rand((k,), dtype)
        out = dc.from_numpy(x) @ dc.from_numpy(y)
        assert out.shape == ()
        check(out, x, y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sa,sb", [
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),      # broadcast batch dims on both sides
    ((1, 3, 4), (6, 4, 5)),
    ((6, 3, 4), (1, 4, 5)),
    ((3, 4), (2, 4, 5)),            # 2-D against a stack
    ((2, 3, 4, 5), (5, 6)),
    ((2, 3, 4), (4,)),               # stack x vector
    ((4,), (2, 3, 4, 5)),            # vector x stack
    ((0, 3, 4), (4, 5)),             # empty batch
    ((2, 0, 4), (2, 4, 5)),
    ((2, 3, 0), (1, 0, 5)),          # k == 0 gives zeros
    ((3, 1, 65, 17), (1, 2, 17, 64)),
    ((4, 1, 1, 1), (3, 1, 2)),
])
def test_batched_broadcast(dtype, sa, sb):
    a, b = rand(sa, dtype), rand(sb, dtype)
    check(dc.from_numpy(a) @ dc.from_numpy(b), a, b)


def test_k_zero_gives_zeros():
    out = dc.zeros(3, 0) @ dc.zeros(0, 4)
    assert out.shape == (3, 4)
    np.testing.assert_array_equal(out.numpy(), np.zeros((3, 4), np.float32))
    out = dc.zeros(0) @ dc.zeros(0)
    assert out.shape == () and out.item() == 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transposed_and_sliced_operands(dtype):
    for m, k, n in [(7, 17, 3), (64, 65, 17), (1, 65, 64), (65, 64, 1), (3, 300, 600)]:
        a0, b0 = rand((k, m), dtype), rand((n, k), dtype)
        aT, bT = dc.from_numpy(a0).T, dc.from_numpy(b0).T  # transposed views
        assert not aT.is_contiguous() or m == 1 or k == 1
        check(aT @ bT, a0.T, b0.T)
        # Column-major matrix with a vector on either side.
        u, w = rand((k,), dtype), rand((k,), dtype)
        check(aT @ dc.from_numpy(u), a0.T, u)
        check(dc.from_numpy(w) @ bT, w, b0.T)
        check(aT @ dc.from_numpy(b0.T.copy()), a0.T, b0.T)
        check(dc.from_numpy(a0.T.copy()) @ bT, a0.T, b0.T)
        # Sliced views: every other row and column.
        a1, b1 = rand((2 * m, 2 * k), dtype), rand((2 * k, 3 * n), dtype)
        sa, sb = a1[::2, ::2], b1[1::2, ::3]
        check(dc.from_numpy(sa) @ dc.from_numpy(sb), sa, sb)
        check(dc.from_numpy(sa) @ dc.from_numpy(sb).T.T, sa, sb)
        # Vectors with a stride.
        v = rand((2 * k,), dtype)[::2]
        check(dc.from_numpy(sa) @ dc.from_numpy(v), sa, v)
        check(dc.from_numpy(v) @ dc.from_numpy(sb), v, sb)


def test_non_contiguous_batches():
    a = rand((4, 5, 3, 2))           # permuted to (3, 4, 2, 5)
    b = rand((3, 5, 6))
    ta = dc.from_numpy(a).permute(2, 0, 3, 1)
    tb = dc.from_numpy(b).unsqueeze(1).expand(3, 4, 5, 6)  # stride 0 batch dim
    check(ta @ tb, a.transpose(2, 0, 3, 1), np.broadcast_to(b[:, None], (3, 4, 5, 6)))
    check(ta @ dc.from_numpy(b[0]).T.mT, a.transpose(2, 0, 3, 1), b[0])


def test_large_blocks_and_threads():
    """Products big enough to be split over threads and over k/j blocks give
    the same bits as on one thread (every element is summed in one order)."""
    a, b = rand((130, 300), np.float32), rand((300, 520), np.float32)
    ta, tb = dc.from_numpy(a), dc.from_numpy(b)
    stack_a = dc.from_numpy(rand((8, 33, 70), np.float32))
    wide, tall = rand((2, 3000), np.float32), rand((3000, 700), np.float32)
    tw, tt = dc.from_numpy(wide), dc.from_numpy(tall)
    vec = dc.from_numpy(rand((3000,), np.float32))
    products = (lambda: ta @ tb, lambda: ta @ tb.T.contiguous().T,  # column-major B
                lambda: dc.from_numpy(a.T.copy()).T @ tb,  # column-major A
                lambda: stack_a @ stack_a.mT,
                lambda: tw @ tt,                    # few rows: split by columns
                lambda: tt.T @ vec,                 # matrix x vector, dot form
                lambda: tt.T.contiguous().T.T @ vec,  # ... from a column-major matrix
                lambda: vec @ tt.T.contiguous().T)  # vector x column-major matrix
    nthreads = dc.get_num_threads()
    try:
        dc.set_num_threads(1)
        one = [f().numpy() for f in products]
        dc.set_num_threads(max(2, nthreads))
        many = [f().numpy() for f in products]
    finally:
        dc.set_num_threads(nthreads)
    for x, y in zip(one, many):
        np.testing.assert_array_equal(x, y)
    check(ta @ tb, a, b)
    check(tw @ tt, wide, tall)
    check(tt.T @ vec, tall.T, vec.numpy())
    check(vec @ tt.T.contiguous().T, vec.numpy(), tall)


def test_int64():
    a = RNG.integers(-50, 50, (2, 7, 17))
    b = RNG.integers(-50, 50, (17, 3))
    out = dc.from_numpy(a) @ dc.from_numpy(b)
    assert out.dtype == dc.int64
    check(out, a, b)
    v = RNG.integers(-5, 5, (17,))
    check(dc.from_numpy(v) @ dc.from_numpy(v), v, v)


def test_int64_with_float_raises_as_pytorch():
    # torch.matmul does not promote: int64 @ float32 is an error, not a float product.
    a = dc.from_numpy(RNG.integers(-5, 5, (3, 4)))
    b = dc.from_numpy(rand((4, 2), np.float32))
    with pytest.raises(TypeError, match="matmul: mixed dtypes int64 and float32"):
        a @ b
    with pytest.raises(TypeError, match="matmul: mixed dtypes float32 and int64"):
        b.T @ a.T
    out = a.float() @ b  # the explicit conversion works
    np.testing.assert_allclose(out.numpy(), a.numpy() @ b.numpy().astype(np.float64),
                               rtol=1e-5, atol=1e-5)


def test_functions_and_methods():
    a, b = rand((3, 4)), rand((4, 5))
    ta, tb = dc.from_numpy(a), dc.from_numpy(b)
    for out in (dc.matmul(ta, tb), ta.matmul(tb), dc.mm(ta, tb), ta.mm(tb), ta @ tb):
        check(out, a, b)
    s, t = rand((2, 3, 4)), rand((2, 4, 5))
    check(dc.bmm(dc.from_numpy(s), dc.from_numpy(t)), s, t)
    check(dc.from_numpy(s).bmm(dc.from_numpy(t)), s, t)
    v = rand((4,))
    check(dc.mv(ta, dc.from_numpy(v)), a, v)
    check(ta.mv(dc.from_numpy(v)), a, v)
    check(dc.dot(dc.from_numpy(v), dc.from_numpy(v)), v, v)
    check(dc.from_numpy(v).dot(dc.from_numpy(v)), v, v)
    w = rand((3,))
    out = dc.outer(dc.from_numpy(w), dc.from_numpy(v))
    np.testing.assert_allclose(out.numpy(), np.outer(w, v), rtol=1e-15)
    np.testing.assert_allclose(dc.from_numpy(w).outer(dc.from_numpy(v)).numpy(), np.outer(w, v))


def test_numpy_operands():
    a, b = rand((3, 4)), rand((4, 5))
    check(dc.from_numpy(a) @ b, a, b)      # __matmul__ converts the array
    out = a @ dc.from_numpy(b)            # numpy defers to __rmatmul__
    assert isinstance(out, dc.Tensor)
    check(out, a, b)
    with pytest.raises(TypeError):
        dc.from_numpy(a) @ [[1.0], [2.0], [3.0], [4.0]]  # lists are not converted
    with pytest.raises(TypeError, match="matmul: expected Tensors"):
        dc.matmul(a, dc.from_numpy(b))


# ------------------------------------------------------------------ backward
GRAD_CASES = [
    ((4,), (4,)),
    ((3, 4), (4,)),
    ((4,), (4, 5)),
    ((3, 4), (4, 5)),
    ((2, 3, 4), (4,)),
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),   # broadcast batches (needs sum_to over batch dims)
    ((3, 4), (2, 4, 5)),
    ((2, 3, 4), (4, 5)),
    ((1, 3, 4), (2, 4, 1)),
]


@pytest.mark.parametrize("sa,sb", GRAD_CASES)
def test_gradcheck(sa, sb):
    a = dc.from_numpy(rand(sa)).requires_grad_()
    b = dc.from_numpy(rand(sb)).requires_grad_()
    assert gradcheck(lambda x, y: x @ y, (a, b))


def test_gradcheck_non_contiguous_inputs():
    a = dc.from_numpy(rand((4, 3))).requires_grad_()
    b = dc.from_numpy(rand((5, 4))).requires_grad_()
    assert gradcheck(lambda x, y: x.T @ y.T, (a, b))
    # A vector with stride 4: column 2 of y.T.
    assert gradcheck(lambda x, y: x.T.mv(y.T.narrow(1, 2, 1).squeeze(1)), (a, b))


@pytest.mark.parametrize("fn,shapes", [
    (dc.mm, ((3, 4), (4, 2))),
    (dc.bmm, ((2, 3, 4), (2, 4, 2))),
    (dc.mv, ((3, 4), (4,))),
    (dc.dot, ((4,), (4,))),
    (dc.outer, ((3,), (4,))),
])
def test_gradcheck_named(fn, shapes):
    args = tuple(dc.from_numpy(rand(s)).requires_grad_() for s in shapes)
    assert gradcheck(fn, args)


def test_grad_with_empty_dims():
    # k == 0: the output is zeros and so are the gradients (of empty shapes).
    a = dc.randn(3, 0, dtype=dc.float64, requires_grad=True)
    b = dc.randn(0, 2, dtype=dc.float64, requires_grad=True)
    (a @ b).backward(dc.ones(3, 2, dtype=dc.float64))
    assert a.grad.shape == (3, 0) and b.grad.shape == (0, 2)
    # m == 0: the gradient of b sums over no rows.
    a = dc.randn(0, 4, dtype=dc.float64, requires_grad=True)
    b = dc.randn(4, 2, dtype=dc.float64, requires_grad=True)
    (a @ b).backward(dc.ones(0, 2, dtype=dc.float64))
    assert a.grad.shape == (0, 4)
    np.testing.assert_array_equal(b.grad.numpy(), np.zeros((4, 2)))


def test_grad_of_one_operand_only():
    a = dc.from_numpy(rand((2, 3, 4))).requires_grad_()
    b = dc.from_numpy(rand((4, 5)))
    out = a @ b
    out.backward(dc.ones(*out.shape, dtype=dc.float64))
    np.testing.assert_allclose(a.grad.numpy(), np.ones((2, 3, 5)) @ b.numpy().T, rtol=1e-14)
    assert b.grad is None


def test_no_grad_result():
    a = dc.from_numpy(rand((3, 4))).requires_grad_()
    with dc.no_grad():
        out = a @ a.T
    assert not out.requires_grad
    assert (a @ a.T).requires_grad


# ------------------------------------------------------------------ errors
def test_inner_dim_mismatch_message():
    with pytest.raises(dc.ShapeError, match=re.escape(
            "matmul: shapes (3, 4) and (5, 6) cannot be multiplied (4 != 5)")):
        dc.randn(3, 4) @ dc.randn(5, 6)
    with pytest.raises(ValueError, match=re.escape(
            "matmul: shapes (3,) and (4,) cannot be multiplied (3 != 4)")):
        dc.randn(3) @ dc.randn(4)
    with pytest.raises(RuntimeError, match=re.escape(
            "matmul: shapes (2, 3, 4) and (3,) cannot be multiplied (4 != 3)")):
        dc.randn(2, 3, 4) @ dc.randn(3)
    with pytest.raises(dc.ShapeError, match=re.escape(
            "matmul: shapes (5,) and (2, 4, 6) cannot be multiplied (5 != 4)")):
        dc.randn(5) @ dc.randn(2, 4, 6)


def test_batch_mismatch_names_both_shapes():
    with pytest.raises(dc.ShapeError, match=re.escape(
            "matmul: batch dimensions of shapes (2, 3, 4) and (3, 4, 5) cannot be broadcast")):
        dc.randn(2, 3, 4) @ dc.randn(3, 4, 5)


def test_zero_dim_operands():
    for a, b in ((dc.tensor(2.0), dc.randn(3)), (dc.randn(3), dc.tensor(2.0)),
                 (dc.tensor(2.0), dc.tensor(3.0))):
        with pytest.raises(RuntimeError, match="matmul: both arguments need to be at least 1D"):
            a @ b


def test_dtype_errors():
    with pytest.raises(TypeError, match="matmul: not supported for bool"):
        dc.ones(2, 2, dtype=dc.bool) @ dc.ones(2, 2, dtype=dc.bool)
    with pytest.raises(TypeError, match="matmul: not supported for bool"):
        dc.ones(2, 2) @ dc.ones(2, 2, dtype=dc.bool)
    with pytest.raises(TypeError, match="matmul: mixed dtypes float32 and float64"):
        dc.ones(2, 2) @ dc.ones(2, 2, dtype=dc.float64)


def test_named_op_errors():
    with pytest.raises(dc.ShapeError, match=re.escape("mm: expected 2-D tensors, got shapes (3,)")):
        dc.mm(dc.randn(3), dc.randn(3, 4))
    with pytest.raises(dc.ShapeError, match=re.escape(
            "mm: shapes (3, 4) and (5, 6) cannot be multiplied (4 != 5)")):
        dc.mm(dc.randn(3, 4), dc.randn(5, 6))
    with pytest.raises(dc.ShapeError, match="bmm: expected 3-D tensors"):
        dc.bmm(dc.randn(3, 4), dc.randn(4, 5))
    with pytest.raises(dc.ShapeError, match=re.escape("bmm: batch sizes differ (2 != 3)")):
        dc.bmm(dc.randn(2, 3, 4), dc.randn(3, 4, 5))
    with pytest.raises(dc.ShapeError, match="bmm: shapes"):
        dc.bmm(dc.randn(2, 3, 4), dc.randn(2, 5, 5))
    with pytest.raises(dc.ShapeError, match="mv: expected a 2-D and a 1-D tensor"):
        dc.mv(dc.randn(3, 4), dc.randn(4, 1))
    with pytest.raises(dc.ShapeError, match=re.escape("dot: shapes (3,) and (4,) cannot")):
        dc.dot(dc.randn(3), dc.randn(4))
    with pytest.raises(dc.ShapeError, match="dot: expected 1-D tensors"):
        dc.dot(dc.randn(3, 1), dc.randn(3))
    with pytest.raises(dc.ShapeError, match="outer: expected 1-D tensors"):
        dc.outer(dc.randn(3, 1), dc.randn(3))
    with pytest.raises(TypeError, match="mm: expected Tensors"):
        dc.mm(np.ones((2, 2)), dc.randn(2, 2))
