"""The BLIS-style GEMM (csrc/cpu/gemm*.cpp) behind matmul and linear: sizes
around every register tile and cache block edge, all operand layouts, batched
broadcasting, alpha/beta through the _C._gemm_ hook, both micro-kernels
(portable, AVX2 and AVX-512, chosen with the _C._set_gemm_kernel hook), thread-count
independence, and linear's forward, backward and errors.

Every float result is compared with a float64 numpy product of the same
inputs, within the rounding bound of a length-k dot product (Higham's
gamma_k: k*u*sum|a||b|, with a factor 2 of slack)."""
import itertools
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import deepcore as dc
from deepcore import _C
from deepcore.autograd import gradcheck

RNG = np.random.default_rng(2024)
SIZES = (1, 2, 3, 7, 17, 255, 257)
FLOATS = (np.float32, np.float64)


def _available(name):
    try:
        _C._set_gemm_kernel(name)
    except RuntimeError:
        return False
    finally:
        _C._set_gemm_kernel("auto")
    return True


def _avx2_available():
    return _available("avx2")


def _avx512_available():
    return _available("avx512")


KERNELS = ["portable",
           pytest.param("avx2", marks=pytest.mark.skipif(
               not _avx2_available(), reason="this CPU has no AVX2+FMA")),
           pytest.param("avx512", marks=pytest.mark.skipif(
               not _avx512_available(), reason="this CPU has no AVX-512F/VL"))]


@pytest.fixture(params=KERNELS)
def kernel(request):
    _C._set_gemm_kernel(request.param)
    assert _C._gemm_kernel() == request.param
    yield request.param
    _C._set_gemm_kernel("auto")


@pytest.fixture
def threads():
    """Restores the thread count a test changes."""
    n = dc.get_num_threads()
    yield
    dc.set_num_threads(n)


def rand(shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def reference(a, b, alpha=1.0, beta=0.0, c=None):
    """alpha * a @ b + beta * c in float64, and the elementwise error bound."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ref = alpha * np.matmul(a64, b64)
    bound = abs(alpha) * np.matmul(np.abs(a64), np.abs(b64))
    if beta != 0:
        ref = ref + beta * np.asarray(c, np.float64)
        bound = bound + abs(beta) * np.abs(np.asarray(c, np.float64))
    return ref, bound


def check_close(got, ref, bound, k, dtype):
    """|got - ref| <= 2 (k + 2) eps bound elementwise (+ the smallest normal)."""
    got = np.asarray(got)
    assert got.shape == ref.shape
    assert got.dtype == dtype
    eps = np.finfo(dtype).eps
    tol = 2 * (k + 2) * eps * bound + np.finfo(dtype).tiny
    err = np.abs(got.astype(np.float64) - ref)
    assert np.all(err <= tol), f"max error {err.max()} (tolerance {tol.max()})"


def check_matmul(out, a, b):
    ref, bound = reference(a, b)
    check_close(out.numpy(), ref, bound, np.shape(a)[-1], np.result_type(a.dtype, b.dtype))


# --------------------------------------------------------------- matmul sizes
@pytest.mark.parametrize("dtype", FLOATS)
def test_small_sizes_all_combinations(kernel, dtype):
    for m, k, n in itertools.product(SIZES[:5], SIZES[:5], SIZES[:5]):
        a, b = rand((m, k), dtype), rand((k, n), dtype)
        check_matmul(dc.from_numpy(a) @ dc.from_numpy(b), a, b)


@pytest.mark.parametrize("dtype", FLOATS)
def test_each_dim_over_all_sizes(kernel, dtype):
    """One dim runs over 1..257 (1, 2, 3 and 7 under the 6- and 12-row tiles,
    17 over the 16-column one, 255/257 around k's 256 block) while the others take
    small and tile-straddling values."""
    others = (1, 7, 17, 64)
    for size in SIZES:
        for x, y in itertools.product(others, others):
            for m, k, n in ((size, x, y), (x, size, y), (x, y, size)):
                a, b = rand((m, k), dtype), rand((k, n), dtype)
                check_matmul(dc.from_numpy(a) @ dc.from_numpy(b), a, b)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("m,k,n", [
    (145, 1000, 33),   # two k blocks (balanced 500 + 500; portable: 4), rows past one MC block
    (300, 257, 50),
    (73, 2400, 17),    # four k blocks (portable: ten)
    (7, 300, 2049),    # columns past one NC block (2048 float32, 1360 float64)
    (1000, 40, 12),    # tall and skinny: many row blocks, one column panel
    (12, 40, 1000),
    # m <= 64 reads a row-major B in place (full micro-panels) and packs the
    # partial last one: two k blocks, odd row strides.
    (40, 1600, 70),
    (64, 300, 2083),   # past one NC block
    (65, 300, 97),     # one row too many: packed (but on Intel, float32)
    # On Intel float32 reads B in place up to 256 rows, unless its rows are
    # a multiple of 2 KiB apart (gemm.cpp, in_place_rows).
    (200, 1600, 70),
    (256, 300, 2083),
    (257, 300, 97),    # packed everywhere
    (100, 70, 512),    # rows 2 KiB apart (float32): packed
])
def test_block_edges(kernel, dtype, m, k, n):
    a, b = rand((m, k), dtype), rand((k, n), dtype)
    check_matmul(dc.from_numpy(a) @ dc.from_numpy(b), a, b)


@pytest.mark.parametrize("dtype", FLOATS)
def test_b_read_in_place_from_unaligned_views(kernel, dtype):
    """A row-major B under a C of at most 64 rows (Intel, float32: 256) is
    read in place, so the kernels load it at whatever alignment and row
    stride the view has."""
    for m, k, n, off in ((33, 50, 70, 1), (64, 129, 96, 3), (7, 800, 40, 5), (150, 80, 70, 1),
                         (256, 300, 96, 3)):
        a = rand((m, k), dtype)
        big = rand((k + 1, n + off + 3), dtype)
        b = big[1:, off:off + n]  # row stride n + off + 3, start off values in
        check_matmul(dc.from_numpy(a) @ dc.from_numpy(big)[1:, off:off + n], a, b)


@pytest.mark.parametrize("dtype", FLOATS)
def test_a_read_in_place_from_unaligned_views(kernel, dtype):
    """A row-major A under a C at most two B micro-panels wide is read in place
    (kernel_rows, every edge row count): odd row strides and offsets, two k
    blocks, full and partial micro-panels, alpha and beta."""
    for m, k, n, off in ((781, 40, 64, 1), (100, 1600, 33, 3), (61, 200, 20, 2),
                         (25, 300, 32, 5), (13, 70, 64, 7)):
        big = rand((m + 1, k + off + 3), dtype)
        a = big[1:, off:off + k]  # row stride k + off + 3
        b = rand((k, n), dtype)
        check_matmul(dc.from_numpy(big)[1:, off:off + k] @ dc.from_numpy(b), a, b)
        c0 = rand((m, n), dtype)
        ref, bound = reference(a, b, 2.5, -0.5, c0)
        tc = dc.from_numpy(c0.copy())
        _C._gemm_(tc._a, dc.from_numpy(big)[1:, off:off + k]._a, dc.from_numpy(b)._a, 2.5, -0.5)
        check_close(tc.numpy(), ref, bound, k, dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_edge_row_kernels(kernel, dtype):
    """The last panel of an m that is not a multiple of the tile height runs
    a kernel for just those rows: m % 6 (AVX2) and m % 4 (portable) from 1
    to 5, and m % 12 from 1 to 11 for AVX-512 and the AVX2 narrow kernel
    (n <= 8 float32, n <= 4 float64), with k below, at and past the edge
    kernels' accumulator sets (1-5) and over two k blocks (the second pass
    adds to C), n full panels of 16 and 32 columns, partial ones, and n under
    the panel width (computed as C^T, whose m = n rows hit the edge kernels
    too, or by the narrow kernel); alpha and beta on the direct-store paths."""
    for m, k, n in itertools.product((2, 3, 4, 5, 7, 8, 9, 10, 11, 13, 18, 129, 130),
                                     (1, 2, 3, 5, 400), (2, 3, 4, 5, 8, 16, 23, 32, 40, 64)):
        a, b = rand((m, k), dtype), rand((k, n), dtype)
        check_matmul(dc.from_numpy(a) @ dc.from_numpy(b), a, b)
        check_matmul(dc.from_numpy(a.T.copy()).T @ dc.from_numpy(b.T.copy()).T, a, b)
    # C of fewer than 768 values runs AVX2's kernel under AVX-512 (gemm.cpp):
    # wide enough ones reach each AVX-512 edge kernel too.
    for m, k, n in itertools.product(range(2, 14), (3, 400), (800, 801)):
        a, b = rand((m, k), dtype), rand((k, n), dtype)
        check_matmul(dc.from_numpy(a) @ dc.from_numpy(b), a, b)
    for m, k, n in ((5, 7, 32), (11, 400, 16), (130, 33, 48), (4, 9, 3), (30, 50, 8),
                    (30, 50, 4), (23, 60, 64), (12, 5, 33)):
        a, b, c0 = rand((m, k), dtype), rand((k, n), dtype), rand((m, n), dtype)
        ref, bound = reference(a, b, 2.5, -0.5, c0)
        tc = dc.from_numpy(c0.copy())
        _C._gemm_(tc._a, dc.from_numpy(a)._a, dc.from_numpy(b)._a, 2.5, -0.5)
        check_close(tc.numpy(), ref, bound, k, dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_k_one_and_empty_dims(kernel, dtype):
    for m, n in itertools.product((1, 5, 33), (1, 6, 40)):
        a, b = rand((m, 1), dtype), rand((1, n), dtype)
        check_matmul(dc.from_numpy(a) @ dc.from_numpy(b), a, b)
    for m, k, n in [(0, 5, 4), (4, 5, 0), (0, 0, 0), (3, 0, 4), (40, 0, 33)]:
        a, b = rand((m, k), dtype), rand((k, n), dtype)
        out = dc.from_numpy(a) @ dc.from_numpy(b)
        assert out.shape == (m, n) and out.dtype == dc.from_numpy(a).dtype
        np.testing.assert_array_equal(out.numpy(), np.zeros((m, n), dtype))


# ------------------------------------------------------------------- layouts
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("m,k,n", [(1, 9, 7), (7, 9, 1), (6, 16, 16), (37, 70, 45),
                                   (130, 260, 70)])
def test_transposed_and_strided_operands(kernel, dtype, m, k, n):
    """op(A) = A^T is A's memory with swapped strides: all four layouts, and
    every-other-element views (no unit stride at all) of each."""
    a, b = rand((m, k), dtype), rand((k, n), dtype)
    views_a = {"N": dc.from_numpy(a), "T": dc.from_numpy(a.T.copy()).T,
               "S": dc.from_numpy(np.repeat(np.repeat(a, 2, 0), 2, 1)[::2, ::2])}
    views_b = {"N": dc.from_numpy(b), "T": dc.from_numpy(b.T.copy()).T,
               "S": dc.from_numpy(np.repeat(np.repeat(b, 2, 0), 2, 1)[::2, ::2])}
    for (la, ta), (lb, tb) in itertools.product(views_a.items(), views_b.items()):
        check_matmul(ta @ tb, a, b)


@pytest.mark.parametrize("dtype", FLOATS)
def test_batched_broadcasting(kernel, dtype):
    cases = [
        ((3, 1, 13, 20), (1, 4, 20, 9)),   # both broadcast: no operand is copied
        ((5, 13, 20), (20, 9)),            # one shared right operand: merged into 65 rows
        ((2, 3, 13, 20), (3, 20, 9)),
        ((13, 20), (4, 20, 9)),            # shared left operand
        ((4, 1, 20), (20, 300)),           # rows of one
        ((4, 7, 1), (1, 1, 5)),            # k == 1
        ((0, 7, 5), (5, 3)),
        ((2, 0, 5), (5, 3)),
    ]
    for sa, sb in cases:
        a, b = rand(sa, dtype), rand(sb, dtype)
        check_matmul(dc.from_numpy(a) @ dc.from_numpy(b), a, b)
    # A stack whose rows do not merge (permuted) against a shared matrix, and
    # an expanded (stride 0) stack.
    a = rand((13, 5, 20), dtype)
    b = rand((20, 9), dtype)
    check_matmul(dc.from_numpy(a).permute(1, 0, 2) @ dc.from_numpy(b), a.transpose(1, 0, 2), b)
    a2 = rand((1, 13, 20), dtype)
    ta = dc.from_numpy(a2).expand(4, 13, 20)
    check_matmul(ta @ dc.from_numpy(b), np.broadcast_to(a2, (4, 13, 20)), b)
    check_matmul(ta.mT.mT @ dc.from_numpy(b).T.contiguous().T, np.broadcast_to(a2, (4, 13, 20)), b)


def test_int64_is_exact(kernel):
    a = RNG.integers(-1000, 1000, (37, 300))
    b = RNG.integers(-1000, 1000, (300, 41))
    np.testing.assert_array_equal((dc.from_numpy(a) @ dc.from_numpy(b)).numpy(), a @ b)
    np.testing.assert_array_equal((dc.from_numpy(a.T.copy()).T @ dc.from_numpy(b)).numpy(), a @ b)


def test_kernels_agree_within_rounding():
    if not _avx2_available():
        pytest.skip("this CPU has no AVX2+FMA")
    a, b = rand((130, 600), np.float32), rand((600, 70), np.float32)
    outs = []
    for name in ("portable", "avx2") + (("avx512",) if _avx512_available() else ()):
        _C._set_gemm_kernel(name)
        outs.append((dc.from_numpy(a) @ dc.from_numpy(b)).numpy())
    _C._set_gemm_kernel("auto")
    ref, bound = reference(a, b)
    for out in outs:
        check_close(out, ref, bound, 600, np.float32)


# ---------------------------------------------------------------- alpha, beta
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("alpha,beta", [(1.0, 0.0), (1.0, 1.0), (2.5, -0.5), (-1.0, 3.0),
                                        (0.0, 2.0), (0.0, 0.0)])
def test_alpha_beta(kernel, dtype, alpha, beta):
    for m, k, n in [(5, 3, 4), (37, 300, 45), (6, 16, 16), (1, 50, 9), (9, 50, 1), (8, 0, 5)]:
        a, b, c0 = rand((m, k), dtype), rand((k, n), dtype), rand((m, n), dtype)
        ref, bound = reference(a, b, alpha, beta, c0)
        # C contiguous, column-major (a transposed view) and with no unit stride.
        for make in (lambda c: dc.from_numpy(c.copy()),
                     lambda c: dc.from_numpy(c.T.copy()).T,
                     lambda c: dc.from_numpy(np.repeat(c, 2, 1)[:, ::2])):
            tc = make(c0)
            _C._gemm_(tc._a, dc.from_numpy(a)._a, dc.from_numpy(b)._a, alpha, beta)
            check_close(tc.numpy(), ref, bound, k, dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_beta_zero_ignores_nan(kernel, dtype):
    """beta == 0 overwrites C (BLAS semantics): old NaNs do not leak."""
    for m, k, n in [(5, 3, 4), (37, 300, 45), (1, 5, 7), (0, 2, 3), (4, 0, 3)]:
        a, b = rand((m, k), dtype), rand((k, n), dtype)
        tc = dc.from_numpy(np.full((m, n), np.nan, dtype))
        _C._gemm_(tc._a, dc.from_numpy(a)._a, dc.from_numpy(b)._a, 1.0, 0.0)
        ref, bound = reference(a, b)
        check_close(tc.numpy(), ref, bound, k, dtype)


def test_gemm_hook_errors():
    c, a, b = dc.zeros(3, 4), dc.zeros(3, 5), dc.zeros(5, 4)
    with pytest.raises(dc.ShapeError, match=re.escape("gemm_: cannot compute c (3, 4) from a (3, 6)")):
        _C._gemm_(c._a, dc.zeros(3, 6)._a, b._a, 1.0, 0.0)
    with pytest.raises(dc.ShapeError, match="gemm_: expected 2-D tensors"):
        _C._gemm_(c._a, dc.zeros(5)._a, b._a, 1.0, 0.0)
    with pytest.raises(TypeError, match="gemm_: expected one dtype, got float32, float64"):
        _C._gemm_(c._a, dc.zeros(3, 5, dtype=dc.float64)._a, b._a, 1.0, 0.0)
    with pytest.raises(TypeError, match="gemm_: not supported for bool"):
        _C._gemm_(dc.zeros(3, 4, dtype=dc.bool)._a, a._a, b._a, 1.0, 0.0)
    with pytest.raises(ValueError, match="gemm_: c must not share memory"):
        sq = dc.zeros(4, 4)
        _C._gemm_(sq._a, sq._a, sq._a, 1.0, 0.0)
    with pytest.raises(ValueError, match="gemm_: c has overlapping elements"):
        _C._gemm_(dc.zeros(1, 4).expand(3, 4)._a, a._a, b._a, 1.0, 0.0)


# ------------------------------------------------------------- kernel choice
def test_kernel_hook():
    with pytest.raises(ValueError, match="set_gemm_kernel: unknown kernel 'sse'"):
        _C._set_gemm_kernel("sse")
    _C._set_gemm_kernel("portable")
    assert _C._gemm_kernel() == "portable"
    _C._set_gemm_kernel("auto")
    assert _C._gemm_kernel() == ("avx512" if _avx512_available() else
                                 "avx2" if _avx2_available() else "portable")
    if not _avx512_available():
        with pytest.raises(RuntimeError, match="set_gemm_kernel: this CPU lacks AVX-512F/VL"):
            _C._set_gemm_kernel("avx512")
        assert _C._gemm_kernel() != "avx512"


def test_environment_caps_kernel():
    """DEEPCORE_GEMM_KERNEL=portable or =avx2 caps the choice; other values mean auto."""
    code = ("import numpy as np, deepcore as dc; from deepcore import _C;"
            "a = np.ones((20, 30), np.float32);"
            "assert (dc.from_numpy(a) @ dc.from_numpy(a.T.copy())).numpy()[0, 0] == 30;"
            "print(_C._gemm_kernel())")
    for name, expect in (("portable", "portable"),
                         ("avx2", "avx2" if _avx2_available() else "portable"),
                         ("sse", "avx512" if _avx512_available() else
                          "avx2" if _avx2_available() else "portable")):
        env = dict(os.environ, DEEPCORE_GEMM_KERNEL=name)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True)
        assert out.stdout.strip() == expect, name


# ------------------------------------------------------------------- threads
def test_threads_give_identical_bits(kernel, threads):
    """Threads compute disjoint C tiles (each thread its own row blocks, then
    the column panels left in the others') and pack B together; the k
    blocking does not depend on the thread count, so every element is summed
    in the same order and 1 and 2 threads agree bit for bit."""
    a = rand((300, 1000), np.float32)  # two k blocks
    b = rand((1000, 310), np.float32)
    tall, skinny = rand((3000, 70), np.float32), rand((70, 40), np.float32)
    wide, right = rand((4, 1000), np.float32), rand((3000, 1000), np.float32)
    stack = rand((16, 40, 60), np.float32)
    big, vec = rand((2000, 1500), np.float32), rand((1500,), np.float32)
    w = rand((200, 1000), np.float32)
    narrow = rand((1500, 8), np.float32)
    bias = rand((200,), np.float32)
    ta, tb, tbig, tvec = dc.from_numpy(a), dc.from_numpy(b), dc.from_numpy(big), dc.from_numpy(vec)
    products = (
        lambda: ta @ tb,
        lambda: ta @ tb.T.contiguous().T,                     # column-major B
        lambda: dc.from_numpy(a.T.copy()).T @ tb,             # column-major A
        lambda: dc.from_numpy(tall) @ dc.from_numpy(skinny),  # split over rows
        lambda: dc.from_numpy(wide) @ dc.from_numpy(right).T,  # 4 rows: split over columns
        lambda: dc.from_numpy(stack) @ dc.from_numpy(stack).mT,  # batch over threads
        lambda: tbig @ tvec,                                  # matrix x vector (dot form)
        lambda: tbig.T.contiguous().T @ tvec,                 # column-major matrix (axpy form)
        lambda: tvec @ tbig.T,                                # vector x matrix
        lambda: dc.linear(ta, dc.from_numpy(w), dc.from_numpy(bias)),
        lambda: tbig @ dc.from_numpy(narrow),                 # n = 8: the narrow kernel
        lambda: dc.from_numpy(a[:40]) @ tb,                   # m <= 64: B read in place
    )
    dc.set_num_threads(1)
    one = [f().numpy() for f in products]
    dc.set_num_threads(2)
    two = [f().numpy() for f in products]
    for x, y in zip(one, two):
        np.testing.assert_array_equal(x, y)
    ref, bound = reference(a, b)
    check_close(two[0], ref, bound, 1000, np.float32)


# -------------------------------------------------------------------- linear
def check_linear(out, x, w, bias):
    ref, bound = reference(x, np.asarray(w).T)
    if bias is not None:
        ref = ref + np.asarray(bias, np.float64)
        bound = bound + np.abs(np.asarray(bias, np.float64))
    check_close(out.numpy(), ref, bound, np.shape(x)[-1], x.dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("xshape", [(20,), (1, 20), (33, 20), (4, 7, 20), (2, 3, 5, 20),
                                    (0, 20), (3, 0, 20)])
def test_linear_forward(kernel, dtype, xshape):
    x, w, bias = rand(xshape, dtype), rand((30, 20), dtype), rand((30,), dtype)
    tx, tw, tb = dc.from_numpy(x), dc.from_numpy(w), dc.from_numpy(bias)
    for b in (bias, None):
        out = dc.linear(tx, tw, None if b is None else tb)
        assert out.shape == xshape[:-1] + (30,)
        check_linear(out, x, w, b)


@pytest.mark.parametrize("dtype", FLOATS)
def test_linear_layouts(kernel, dtype):
    x, w, bias = rand((6, 9, 40), dtype), rand((17, 40), dtype), rand((34,), dtype)
    tw_t = dc.from_numpy(w.T.copy()).T               # column-major weight
    tb_s = dc.from_numpy(bias[::2])                  # strided bias
    xp = dc.from_numpy(x.transpose(1, 0, 2).copy()).permute(1, 0, 2)  # rows do not merge
    xs = dc.from_numpy(np.repeat(x, 2, -1)[..., ::2])  # no unit stride on features
    for tx in (dc.from_numpy(x), xp, xs):
        check_linear(dc.linear(tx, tw_t, tb_s), x, w, bias[::2])
        check_linear(dc.linear(tx, dc.from_numpy(w)), x, w, None)


def test_linear_empty_features():
    """in_features == 0: the output is the bias (or zeros); out_features == 0
    gives an empty last dim."""
    bias = rand((3,))
    out = dc.linear(dc.zeros(4, 0, dtype=dc.float64), dc.zeros(3, 0, dtype=dc.float64),
                    dc.from_numpy(bias))
    np.testing.assert_array_equal(out.numpy(), np.broadcast_to(bias, (4, 3)))
    out = dc.linear(dc.zeros(4, 0), dc.zeros(3, 0))
    np.testing.assert_array_equal(out.numpy(), np.zeros((4, 3), np.float32))
    assert dc.linear(dc.randn(4, 5), dc.randn(0, 5), dc.randn(0)).shape == (4, 0)


def test_linear_matches_torch():
    torch = pytest.importorskip("torch")
    x, w, b = rand((8, 3, 50), np.float32), rand((20, 50), np.float32), rand((20,), np.float32)
    got = dc.linear(dc.from_numpy(x), dc.from_numpy(w), dc.from_numpy(b)).numpy()
    want = torch.nn.functional.linear(torch.from_numpy(x), torch.from_numpy(w),
                                      torch.from_numpy(b)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("xshape", [(5,), (3, 5), (2, 3, 5), (2, 1, 2, 5)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_gradcheck(xshape, with_bias):
    x = dc.from_numpy(rand(xshape)).requires_grad_()
    w = dc.from_numpy(rand((4, 5))).requires_grad_()
    if with_bias:
        b = dc.from_numpy(rand((4,))).requires_grad_()
        assert gradcheck(dc.linear, (x, w, b))
    else:
        assert gradcheck(dc.linear, (x, w))


def test_linear_gradcheck_non_contiguous():
    x = dc.from_numpy(rand((5, 3, 2))).requires_grad_()
    w = dc.from_numpy(rand((5, 4))).requires_grad_()
    b = dc.from_numpy(rand((4, 2))).requires_grad_()
    assert gradcheck(lambda x, w, b: dc.linear(x.permute(2, 1, 0), w.T,
                                               b.narrow(1, 1, 1).squeeze(1)),  # stride 2
                     (x, w, b))


def test_linear_backward_empty_batch():
    x = dc.zeros(0, 5, dtype=dc.float64, requires_grad=True)
    w = dc.randn(4, 5, dtype=dc.float64, requires_grad=True)
    b = dc.randn(4, dtype=dc.float64, requires_grad=True)
    dc.linear(x, w, b).backward(dc.ones(0, 4, dtype=dc.float64))
    assert x.grad.shape == (0, 5)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((4, 5)))
    np.testing.assert_array_equal(b.grad.numpy(), np.zeros(4))


def test_linear_partial_grads():
    x = dc.from_numpy(rand((3, 5)))
    w = dc.from_numpy(rand((4, 5))).requires_grad_()
    b = dc.from_numpy(rand((4,)))
    out = dc.linear(x, w, b)
    assert out.requires_grad
    out.backward(dc.ones(3, 4, dtype=dc.float64))
    np.testing.assert_allclose(w.grad.numpy(), np.ones((4, 3)) @ x.numpy(), rtol=1e-14)
    assert x.grad is None and b.grad is None
    with dc.no_grad():
        assert not dc.linear(x, w, b).requires_grad


def test_linear_errors():
    x, w, b = dc.randn(2, 4), dc.randn(3, 4), dc.randn(3)
    with pytest.raises(dc.ShapeError, match=re.escape(
            "linear: input features 5 do not match weight of shape (3, 4)")):
        dc.linear(dc.randn(2, 5), w)
    with pytest.raises(ValueError, match=re.escape(
            "linear: input features 5 do not match weight of shape (3, 4) (input shape (5,))")):
        dc.linear(dc.randn(5), w, b)
    with pytest.raises(dc.ShapeError, match=re.escape(
            "linear: bias of shape (4,) does not match weight of shape (3, 4)")):
        dc.linear(x, w, dc.randn(4))
    with pytest.raises(dc.ShapeError, match=re.escape("linear: bias of shape (1, 3)")):
        dc.linear(x, w, dc.randn(1, 3))
    with pytest.raises(dc.ShapeError, match=re.escape(
            "linear: weight must be 2-D (out_features, in_features), got shape (4,)")):
        dc.linear(x, dc.randn(4))
    with pytest.raises(RuntimeError, match="linear: input must be at least 1-D"):
        dc.linear(dc.tensor(1.0), w)
    with pytest.raises(TypeError, match="linear: mixed dtypes: input is float32, weight is float64"):
        dc.linear(x, w.double())
    with pytest.raises(TypeError, match="linear: mixed dtypes: input is float32, bias is float64"):
        dc.linear(x, w, b.double())
    with pytest.raises(TypeError, match="linear: expected a floating point tensor"):
        dc.linear(dc.ones(2, 4, dtype=dc.int64), w.long())
    with pytest.raises(TypeError, match="linear: expected Tensors"):
        dc.linear(np.ones((2, 4)), w)
    with pytest.raises(TypeError, match="linear: expected Tensors"):
        dc.linear(x, w, 1.0)
