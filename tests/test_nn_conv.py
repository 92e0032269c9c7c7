"""conv2d and nn.Conv2d: forward and gradients against float64 numpy references
over a grid of shapes, gradcheck, tiling (many im2col tiles per sample),
threads, non-contiguous operands, empty sizes and error messages."""
import math

import numpy as np
import pytest

import deepcore as dc
import deepcore.nn.functional as F
from deepcore import _C
from deepcore.autograd import gradcheck

from conftest import assert_close, leaf, call_allowing_errors, available_isas


# ------------------------------------------------------------ numpy reference

def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _taps(x_shape, w_shape, stride, padding, dilation):
    """Output size and, for each kernel tap (i, j), the slices of the padded
    input that tap reads for every output position."""
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    h, w = x_shape[-2:]
    kh, kw = w_shape[-2:]
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    taps = [(i, j, slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
             slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))
            for i in range(kh) for j in range(kw)]
    return (ph, pw), taps


def conv_ref(x, w, b=None, stride=1, padding=0, dilation=1):
    """conv2d in float64: for each kernel tap, an einsum over a strided view of
    the zero-padded input."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    (ph, pw), taps = _taps(x.shape, w.shape, stride, padding, dilation)
    xp = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)])
    out = sum(np.einsum("...chw,oc->...ohw", xp[..., rs, cs], w[:, :, i, j])
              for i, j, rs, cs in taps)
    if b is not None:
        out = out + np.asarray(b, np.float64)[:, None, None]
    return out


def conv_grads_ref(x, w, g, stride=1, padding=0, dilation=1):
    """(grad_input, grad_weight, grad_bias) of conv2d for output gradient g."""
    x, w, g = (np.asarray(a, np.float64) for a in (x, w, g))
    unbatched = x.ndim == 3
    if unbatched:
        x, g = x[None], g[None]
    (ph, pw), taps = _taps(x.shape, w.shape, stride, padding, dilation)
    xp = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    gxp = np.zeros_like(xp)
    gw = np.zeros_like(w)
    for i, j, rs, cs in taps:
        gw[:, :, i, j] = np.einsum("nohw,nchw->oc", g, xp[..., rs, cs])
        gxp[..., rs, cs] += np.einsum("nohw,oc->nchw", g, w[:, :, i, j])
    gx = gxp[..., ph:ph + x.shape[-2], pw:pw + x.shape[-1]]
    return (gx[0] if unbatched else gx), gw, g.sum(axis=(0, 2, 3))


def _data(shape, dtype, seed):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape).astype(dtype)


def _gemm_kernel_available(name):
    try:
        _C._set_gemm_kernel(name)
        return True
    except RuntimeError:
        return False
    finally:
        _C._set_gemm_kernel("auto")


KERNELS_FOR_CONV = ["portable"] + [
    pytest.param(k, marks=pytest.mark.skipif(not _gemm_kernel_available(k),
                                             reason=f"this CPU has no {k}"))
    for k in ("avx2", "avx512")]

TOL = {"float32": dict(rtol=1e-4, atol=1e-4), "float64": dict(rtol=1e-10, atol=1e-10)}

# (N, C, Co, H, W, (kh, kw), stride, padding, dilation)
GRID = [
    (2, 3, 4, 7, 7, (3, 3), 1, 0, 1),
    (1, 1, 16, 28, 28, (3, 3), 1, 0, 1),          # MNIST first layer, batch 1
    (3, 16, 8, 13, 11, (3, 3), 1, 1, 1),          # odd, non-square input
    (2, 5, 6, 9, 10, (2, 3), (2, 1), (1, 2), 1),  # non-square kernel, stride, padding
    (2, 4, 3, 11, 9, (3, 2), 2, 1, (2, 3)),       # dilation
    (2, 3, 5, 8, 8, (1, 1), 1, 0, 1),             # 1x1 direct (no im2col)
    (2, 3, 5, 9, 8, (1, 1), 2, 0, 1),             # 1x1 with stride: im2col
    (2, 3, 5, 6, 7, (1, 1), 1, 1, 1),             # 1x1 with padding: im2col
    (3, 2, 4, 5, 6, (5, 6), 1, 0, 1),             # kernel equals the input
    (2, 2, 3, 3, 4, (5, 6), 1, 1, 1),             # kernel equals the padded input
    (2, 3, 2, 7, 7, (3, 3), 3, 0, 1),             # stride skips columns at the end
    (2, 2, 3, 4, 4, (3, 3), 1, 2, 1),             # padding wider than half the kernel
    (5, 1, 7, 6, 5, (2, 2), (1, 3), (0, 1), 1),
    (4, 7, 1, 10, 3, (3, 1), 1, (1, 0), 1),       # one output channel
]


def _run(case, dtype, bias=True, seed=0):
    n, c, co, h, w, k, stride, padding, dilation = case
    x = _data((n, c, h, w), dtype, seed)
    wt = _data((co, c) + k, dtype, seed + 1)
    b = _data((co,), dtype, seed + 2) if bias else None
    X = dc.tensor(x, requires_grad=True)
    W = dc.tensor(wt, requires_grad=True)
    B = dc.tensor(b, requires_grad=True) if bias else None
    out = F.conv2d(X, W, B, stride=stride, padding=padding, dilation=dilation)
    ref = conv_ref(x, wt, b, stride, padding, dilation)
    assert_close(out, ref, dtype=X.dtype, **TOL[dtype])
    g = _data(ref.shape, dtype, seed + 3)
    out.backward(dc.tensor(g))
    gx, gw, gb = conv_grads_ref(x, wt, g, stride, padding, dilation)
    assert_close(X.grad, gx, **TOL[dtype])
    assert_close(W.grad, gw, **TOL[dtype])
    if bias:
        assert_close(B.grad, gb, **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", GRID)
def test_conv2d_grid(case, dtype):
    _run(case, dtype)


@pytest.mark.parametrize("case", GRID[:6])
def test_conv2d_no_bias(case):
    _run(case, "float64", bias=False)


@pytest.fixture
def tiny_tiles():
    """A 64-byte im2col budget: every tile is 8 output positions (or whole
    rows if they are shorter), so tiles split output rows and every sample
    spans many of them."""
    old = _C._conv2d_set_col_budget(64)
    yield
    _C._conv2d_set_col_budget(old)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", [GRID[0], GRID[2], GRID[3], GRID[4], GRID[5], GRID[9]])
def test_conv2d_many_tiles(case, threads, tiny_tiles):
    dc.set_num_threads(threads)
    _run(case, "float64")
    _run(case, "float32")


@pytest.mark.parametrize("budget", [None, 64])
def test_conv2d_float32_isa_paths(budget):
    """float32 im2col / col2im also have AVX2 (im2col) and AVX-512 (col2im)
    copies chosen at run time (cpu/isa.h): the portable build against the
    reference, and every build this CPU runs gives the same bits (they copy
    and add in the same order, no FMA). The 64-byte budget takes the
    within-row path, the default whole rows."""
    old = _C._conv2d_set_col_budget(budget) if budget else None
    isas = available_isas()
    try:
        for case in GRID:
            n, c, co, h, w, k, stride, padding, dilation = case
            x = _data((n, c, h, w), "float32", 5)
            wt = _data((co, c) + k, "float32", 6)
            b = _data((co,), "float32", 7)
            g = _data(conv_ref(x, wt, b, stride, padding, dilation).shape, "float32", 8)
            results = []
            for isa in isas:
                _C._set_isa_cap(isa)
                if isa == "portable":
                    _run(case, "float32", seed=5)
                X, W, B = (dc.tensor(v, requires_grad=True) for v in (x, wt, b))
                out = F.conv2d(X, W, B, stride=stride, padding=padding, dilation=dilation)
                out.backward(dc.tensor(g))
                results.append([t.numpy() for t in (out.detach(), X.grad, W.grad, B.grad)])
            for other in results[1:]:
                for a, b_ in zip(results[0], other):
                    np.testing.assert_array_equal(a, b_)
    finally:
        _C._set_isa_cap("avx512")
        if budget:
            _C._conv2d_set_col_budget(old)


@pytest.mark.parametrize("budget", [1, 2, 3])
@pytest.mark.parametrize("case", [GRID[2], GRID[3], GRID[4], GRID[7], GRID[10], GRID[11]])
def test_conv2d_tiles_of_whole_rows(case, budget):
    """Budgets of 1-3 output rows of float64 columns: tiles of whole rows
    (the fast im2col/col2im path), the last one often shorter."""
    n, c, co, h, w, k, stride, padding, dilation = case
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    ow = (w + 2 * pw - dw * (k[1] - 1) - 1) // sw + 1
    old = _C._conv2d_set_col_budget(budget * ow * c * k[0] * k[1] * 8)
    try:
        _run(case, "float64")
    finally:
        _C._conv2d_set_col_budget(old)


# Shapes the implicit weight gradient takes (3 wide, stride 1 and dilation 1
# along rows): channel counts whose 9C rows end in partial 3/6/9-row tiles,
# output channels that leave partial B panels (5, 40), padding (a padded
# copy), row stride and dilation, and a tile of 3000 columns that takes
# several products (1024 steps each).
IMPLICIT = [
    (2, 1, 16, 10, 9, (3, 3), 1, 0, 1),
    (3, 2, 5, 8, 11, (3, 3), 1, 1, 1),
    (2, 3, 40, 7, 12, (3, 3), 1, (2, 1), 1),
    (2, 4, 33, 9, 9, (2, 3), (2, 1), (0, 1), (2, 1)),
    (1, 5, 7, 32, 102, (4, 3), (3, 1), 0, 1),
    (2, 16, 32, 12, 12, (3, 3), 1, 0, 1),
]


@pytest.fixture(params=KERNELS_FOR_CONV)
def gemm_kernel(request):
    _C._set_gemm_kernel(request.param)
    yield request.param
    _C._set_gemm_kernel("auto")


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", IMPLICIT)
def test_conv2d_implicit_weight_grad(case, threads, gemm_kernel):
    """The weight gradient read from the input itself (gemm_taps) against the
    float64 reference, with each GEMM kernel and thread count, and within
    float32 rounding of the im2col path; the wgrad-only backward of an
    unpadded conv then builds no im2col tile at all."""
    dc.set_num_threads(threads)
    n, c, co, h, w, k, stride, padding, dilation = case
    for dtype in ("float64", "float32"):
        _run(case, dtype)
    x, wt = _data((n, c, h, w), "float32", 0), _data((co, c) + k, "float32", 1)
    g = _data(conv_ref(x, wt, None, stride, padding, dilation).shape, "float32", 2)
    geometry = [list(_pair(v)) for v in (stride, padding, dilation)]
    grads = []
    for implicit in (True, False):
        old = _C._conv2d_set_implicit(implicit)
        _C._conv2d_profile(True)
        try:
            grads.append(_C.conv2d_backward(dc.tensor(g)._a, dc.tensor(x)._a, dc.tensor(wt)._a,
                                            *geometry, False, True, False)[1])
        finally:
            phases = _C._conv2d_profile(False)
            _C._conv2d_set_implicit(old)
        if _pair(padding) == (0, 0) and gemm_kernel != "portable":
            assert (phases["im2col"] == 0) == implicit, phases
    a, b = (dc.Tensor._make(v).numpy() for v in grads)
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("n", [1, 3, 4, 9, 17])
def test_conv2d_batch_bigger_than_a_tile(n):
    """The default budget (1 MiB a worker) with several tiles per sample and
    batches that split unevenly over threads and weight-gradient parts."""
    c, hw = 16, 36
    assert c * 9 * (hw - 2) ** 2 * 8 > 1 << 20  # float64 col_n is over one tile
    _run((n, c, 6, hw, hw, (3, 3), 1, 0, 1), "float64")
    _run((n, c, 6, hw, hw - 3, (3, 3), (2, 1), 1, 1), "float32")


def test_conv2d_same_result_for_any_thread_count():
    """Work splits depend on the shapes only, so results are bitwise equal."""
    x = dc.tensor(_data((9, 8, 20, 20), "float32", 0), requires_grad=True)
    w = dc.tensor(_data((6, 8, 3, 3), "float32", 1), requires_grad=True)
    b = dc.tensor(_data((6,), "float32", 2), requires_grad=True)
    results = []
    for threads in (1, 2):
        dc.set_num_threads(threads)
        for t in (x, w, b):
            t.grad = None
        out = F.conv2d(x, w, b, padding=1)
        (out * out).sum().backward()
        results.append([t.numpy() for t in (out.detach(), x.grad, w.grad, b.grad)])
    for a, b_ in zip(*results):
        np.testing.assert_array_equal(a, b_)


def test_conv2d_unbatched():
    x = _data((3, 9, 8), "float64", 0)
    w = _data((4, 3, 3, 2), "float64", 1)
    b = _data((4,), "float64", 2)
    X, W, B = leaf(x), leaf(w), leaf(b)
    out = F.conv2d(X, W, B, stride=(2, 1), padding=1)
    assert out.shape == (4, 5, 9)
    assert_close(out, conv_ref(x, w, b, (2, 1), 1), rtol=1e-12, atol=1e-12)
    g = _data(out.shape, "float64", 3)
    out.backward(dc.tensor(g))
    gx, gw, gb = conv_grads_ref(x, w, g, (2, 1), 1)
    assert_close(X.grad, gx, rtol=1e-12, atol=1e-12)
    assert_close(W.grad, gw, rtol=1e-12, atol=1e-12)
    assert_close(B.grad, gb, rtol=1e-12, atol=1e-12)


def test_conv2d_non_contiguous_operands():
    """Transposed input and weight, a strided bias and a transposed output
    gradient give the same results as their contiguous copies."""
    x = _data((2, 3, 9, 7), "float64", 0)
    w = _data((4, 3, 3, 2), "float64", 1)
    b2 = _data((8,), "float64", 2)
    X = dc.tensor(np.ascontiguousarray(x.swapaxes(2, 3))).transpose(2, 3)
    W = dc.tensor(np.ascontiguousarray(w.transpose(1, 0, 3, 2))).permute(1, 0, 3, 2)
    B = dc.tensor(b2)[::2]
    assert not (X.is_contiguous() or W.is_contiguous() or B.is_contiguous())
    for t in (X, W, B):
        t.requires_grad_()
    out = F.conv2d(X, W, B, stride=(1, 2), padding=(2, 1))
    ref = conv_ref(x, w, b2[::2], (1, 2), (2, 1))
    assert_close(out, ref, rtol=1e-12, atol=1e-12)
    g = _data(ref.shape, "float64", 3)
    G = dc.tensor(np.ascontiguousarray(g.swapaxes(1, 3))).transpose(1, 3)
    assert not G.is_contiguous()
    out.backward(G)
    gx, gw, gb = conv_grads_ref(x, w, g, (1, 2), (2, 1))
    assert_close(X.grad, gx, rtol=1e-12, atol=1e-12)
    assert_close(W.grad, gw, rtol=1e-12, atol=1e-12)
    assert_close(B.grad, gb, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kw", [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(1, 2), padding=(2, 0), dilation=(1, 2)),
])
def test_conv2d_gradcheck(kw):
    x = leaf(_data((2, 2, 5, 6), "float64", 0))
    w = leaf(_data((3, 2, 3, 2), "float64", 1))
    b = leaf(_data((3,), "float64", 2))
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), (x, w, b))


def test_conv2d_gradcheck_1x1_and_unbatched(tiny_tiles):
    x = leaf(_data((2, 3, 3, 4), "float64", 0))
    w = leaf(_data((2, 3, 1, 1), "float64", 1))
    b = leaf(_data((2,), "float64", 2))
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b), (x, w, b))
    x3 = leaf(_data((2, 5, 4), "float64", 3))
    w3 = leaf(_data((2, 2, 2, 3), "float64", 4))
    assert gradcheck(lambda x, w: F.conv2d(x, w, None, padding=1, stride=(2, 1)), (x3, w3))


def test_conv2d_only_needed_grads():
    """Gradients are computed for the inputs that require them, alone or together."""
    x = _data((2, 3, 6, 6), "float64", 0)
    w = _data((4, 3, 3, 3), "float64", 1)
    b = _data((4,), "float64", 2)
    g = _data((2, 4, 6, 6), "float64", 3)
    gx, gw, gb = conv_grads_ref(x, w, g, 1, 1)
    for needs in [(True, False, False), (False, True, False), (False, False, True),
                  (False, True, True)]:
        X, W, B = (dc.tensor(a, requires_grad=r) for a, r in zip((x, w, b), needs))
        F.conv2d(X, W, B, padding=1).backward(dc.tensor(g))
        for t, ref, r in zip((X, W, B), (gx, gw, gb), needs):
            if r:
                assert_close(t.grad, ref, rtol=1e-12, atol=1e-12)
            else:
                assert t.grad is None
    out = F.conv2d(dc.tensor(x), dc.tensor(w))
    assert not out.requires_grad and out.grad_fn is None
    with dc.no_grad():
        assert not F.conv2d(dc.tensor(x, requires_grad=True), dc.tensor(w)).requires_grad


def test_conv2d_native_backward_skips_unrequested():
    x, w = dc.randn(1, 2, 4, 4), dc.randn(3, 2, 3, 3)
    g = dc.randn(1, 3, 2, 2)
    gx, gw, gb = _C.conv2d_backward(g._a, x._a, w._a, [1], [0], [1], False, True, False)
    assert gx is None and gb is None and tuple(gw.shape) == (3, 2, 3, 3)


def test_conv2d_empty_sizes():
    w = _data((4, 3, 3, 3), "float64", 1)
    b = _data((4,), "float64", 2)
    # An empty batch: empty output, zero weight and bias gradients.
    X = leaf(np.zeros((0, 3, 5, 5)))
    W, B = leaf(w), leaf(b)
    out = F.conv2d(X, W, B)
    assert out.shape == (0, 4, 3, 3)
    out.sum().backward()
    assert X.grad.shape == (0, 3, 5, 5)
    assert_close(W.grad, np.zeros_like(w))
    assert_close(B.grad, np.zeros(4))
    # No input channels: the output is the bias.
    X = leaf(np.zeros((2, 0, 5, 5)))
    W, B = leaf(np.zeros((4, 0, 3, 3))), leaf(b)
    out = F.conv2d(X, W, B)
    assert_close(out, np.broadcast_to(b[:, None, None], (2, 4, 3, 3)))
    out.sum().backward()
    assert X.grad.shape == (2, 0, 5, 5) and W.grad.shape == (4, 0, 3, 3)
    assert_close(B.grad, np.full(4, 18.0))
    # An empty input plane made non-empty by padding.
    X = leaf(np.zeros((2, 3, 0, 2)))
    out = F.conv2d(X, leaf(w), leaf(b), padding=2)
    assert_close(out, np.broadcast_to(b[:, None, None], (2, 4, 2, 4)))


ERRORS = [
    # (input shape, weight shape, bias shape or None, kwargs, exception, message)
    ((8, 4, 28, 28), (16, 3, 3, 3), None, {}, dc.ShapeError,
     r"conv2d: expected input with 3 channels \(weight \(16, 3, 3, 3\)\), got 4 channels "
     r"\(input \(8, 4, 28, 28\)\)"),
    ((4, 28, 28), (16, 3, 3, 3), None, {}, dc.ShapeError,
     r"expected input with 3 channels .* got 4 channels \(input \(4, 28, 28\)\)"),
    ((3, 5), (16, 3, 3, 3), None, {}, dc.ShapeError,
     r"conv2d: expected 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got input of shape \(3, 5\)"),
    ((1, 2, 3, 5, 5), (16, 3, 3, 3), None, {}, dc.ShapeError, r"got input of shape \(1, 2, 3, 5, 5\)"),
    ((2, 3, 5, 5), (16, 3, 3), None, {}, dc.ShapeError,
     r"conv2d: expected 4-D weight \(out_channels, in_channels, kH, kW\), got weight of shape "
     r"\(16, 3, 3\)"),
    ((2, 3, 5, 5), (0, 3, 3, 3), None, {}, dc.ShapeError, r"weight \(0, 3, 3, 3\) has no output"),
    ((2, 3, 5, 5), (4, 3, 0, 3), None, {}, dc.ShapeError, r"has an empty kernel"),
    ((2, 3, 2, 2), (16, 3, 3, 3), None, {}, dc.ShapeError,
     r"conv2d: kernel size \(3, 3\) is larger than the padded input size \(2, 2\) \(input "
     r"\(2, 3, 2, 2\), padding \(0, 0\)\)"),
    ((2, 3, 5, 2), (16, 3, 3, 3), None, dict(padding=(1, 0)), dc.ShapeError,
     r"kernel size \(3, 3\) is larger than the padded input size \(7, 2\)"),
    ((2, 3, 5, 5), (16, 3, 3, 3), None, dict(dilation=3), dc.ShapeError,
     r"kernel size \(7, 7\) \(dilated\) is larger than the padded input size \(5, 5\)"),
    ((2, 3, 5, 5), (16, 3, 3, 3), None, dict(stride=0), ValueError,
     r"conv2d: stride must be positive, got \(0, 0\)"),
    ((2, 3, 5, 5), (16, 3, 3, 3), None, dict(stride=(1, -2)), ValueError,
     r"stride must be positive, got \(1, -2\)"),
    ((2, 3, 5, 5), (16, 3, 3, 3), None, dict(padding=-1), ValueError,
     r"conv2d: padding must be non-negative, got \(-1, -1\)"),
    ((2, 3, 5, 5), (16, 3, 3, 3), None, dict(dilation=(0, 1)), ValueError,
     r"conv2d: dilation must be positive, got \(0, 1\)"),
    ((2, 3, 5, 5), (16, 3, 3, 3), None, dict(stride=(1, 2, 3)), ValueError,
     r"conv2d: stride must be an int or a pair of ints, got \(1, 2, 3\)"),
    ((2, 3, 5, 5), (16, 3, 3, 3), None, dict(padding=2 ** 50), ValueError, r"too large"),
    ((2, 3, 5, 5), (16, 3, 3, 3), (3,), {}, dc.ShapeError,
     r"conv2d: expected bias of shape \(16,\) for weight \(16, 3, 3, 3\), got bias of shape "
     r"\(3,\)"),
    ((2, 3, 5, 5), (16, 3, 3, 3), (1, 16), {}, dc.ShapeError, r"got bias of shape \(1, 16\)"),
    ((2, 3, 5, 5), (16, 3, 3, 3), None, dict(stride=1.5), TypeError,
     r"conv2d: stride must be an int or a tuple of ints, got 1.5"),
    ((2, 3, 5, 5), (16, 3, 3, 3), None, dict(padding=True), TypeError, r"padding must be an int"),
    ((2, 3, 5, 5), (16, 3, 3, 3), None, dict(padding="same"), NotImplementedError,
     r"string padding"),
    ((2, 3, 5, 5), (16, 3, 3, 3), None, dict(groups=3), NotImplementedError, r"groups=1"),
]


@pytest.mark.parametrize("xs, ws, bs, kw, exc, msg", ERRORS)
def test_conv2d_errors(xs, ws, bs, kw, exc, msg):
    b = None if bs is None else dc.randn(*bs)
    with pytest.raises(exc, match=msg):
        F.conv2d(dc.randn(*xs), dc.randn(*ws), b, **kw)


def test_conv2d_dtype_errors():
    x, w = dc.randn(2, 3, 5, 5), dc.randn(4, 3, 3, 3)
    with pytest.raises(TypeError, match=r"conv2d: input \(float32\) and weight \(float64\) must "
                                        r"have the same dtype"):
        F.conv2d(x, w.double())
    with pytest.raises(TypeError, match=r"input \(float32\) and bias \(float64\)"):
        F.conv2d(x, w, dc.randn(4).double())
    with pytest.raises(TypeError, match=r"conv2d: expected a floating point tensor .* got int64"):
        F.conv2d(x.long(), w.long())
    with pytest.raises(TypeError, match=r"conv2d: weight must be a Tensor, got ndarray"):
        F.conv2d(x, np.ones((4, 3, 3, 3)))
    with pytest.raises(TypeError, match=r"conv2d: bias must be a Tensor or None, got list"):
        F.conv2d(x, w, [1.0])


def test_conv2d_backward_checks():
    x, w = dc.randn(2, 3, 5, 5), dc.randn(4, 3, 3, 3)
    with pytest.raises(dc.ShapeError, match=r"conv2d: expected grad_output of shape "
                                            r"\(2, 4, 3, 3\) \(the output's\), got \(2, 4, 3\)"):
        _C.conv2d_backward(dc.randn(2, 4, 3)._a, x._a, w._a, [1], [0], [1], True, True, True)
    with pytest.raises(TypeError, match=r"grad_output \(float64\) and input \(float32\)"):
        _C.conv2d_backward(dc.randn(2, 4, 3, 3).double()._a, x._a, w._a, [1], [0], [1], True,
                           True, True)
    with pytest.raises(ValueError, match="positive byte count"):
        _C._conv2d_set_col_budget(0)


# ------------------------------------------------------------------ module

def test_conv2d_module_init_and_forward():
    dc.manual_seed(0)
    m = dc.nn.Conv2d(16, 32, 3)
    assert m.weight.shape == (32, 16, 3, 3) and m.bias.shape == (32,)
    assert m.weight.requires_grad and m.bias.requires_grad
    bound = 1 / math.sqrt(16 * 9)
    for p in (m.weight, m.bias):
        v = p.detach().numpy()
        assert np.abs(v).max() <= bound and np.abs(v).max() > 0.9 * bound
    assert abs(m.weight.detach().numpy().std() - bound / math.sqrt(3)) < 0.05 * bound
    x = dc.randn(2, 16, 8, 8)
    assert_close(m(x), conv_ref(x.numpy(), m.weight.detach().numpy(), m.bias.detach().numpy()),
                 rtol=1e-4, atol=1e-4)
    m2 = dc.nn.Conv2d(3, 4, (2, 3), stride=2, padding=(1, 0), dilation=(1, 2), bias=False,
                      dtype=dc.float64)
    assert m2.bias is None and m2.weight.dtype == dc.float64
    assert [n for n, _ in m2.named_parameters()] == ["weight"]
    x = dc.randn(2, 3, 7, 9, dtype=dc.float64)
    assert_close(m2(x), conv_ref(x.numpy(), m2.weight.detach().numpy(), None, 2, (1, 0), (1, 2)),
                 rtol=1e-12, atol=1e-12)


def test_conv2d_module_repr():
    assert repr(dc.nn.Conv2d(1, 16, 3)) == "Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1))"
    assert (repr(dc.nn.Conv2d(1, 16, (3, 5), stride=2, padding=1, dilation=2, bias=False)) ==
            "Conv2d(1, 16, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1), dilation=(2, 2), "
            "bias=False)")


def test_conv2d_module_state_dict_and_training():
    dc.manual_seed(1)
    m = dc.nn.Conv2d(2, 3, 3, padding=1)
    m2 = dc.nn.Conv2d(2, 3, 3, padding=1)
    m2.load_state_dict(m.state_dict())
    x = dc.randn(1, 2, 5, 5)
    np.testing.assert_array_equal(m(x).detach().numpy(), m2(x).detach().numpy())
    m(x).sum().backward()
    assert m.weight.grad.shape == (3, 2, 3, 3) and m.bias.grad.shape == (3,)
    assert_close(m.bias.grad, np.full(3, 25.0))


def test_conv2d_module_errors():
    with pytest.raises(ValueError, match="in_channels must be a positive int"):
        dc.nn.Conv2d(0, 3, 3)
    with pytest.raises(ValueError, match="kernel_size must be positive"):
        dc.nn.Conv2d(1, 3, (0, 3))
    with pytest.raises(TypeError, match="kernel_size must be an int or a pair"):
        dc.nn.Conv2d(1, 3, (3, 3, 3))
    with pytest.raises(NotImplementedError, match="groups=1"):
        dc.nn.Conv2d(2, 2, 3, groups=2)
    with pytest.raises(NotImplementedError, match="padding_mode='zeros'"):
        dc.nn.Conv2d(2, 2, 3, padding_mode="reflect")
    m = dc.nn.Conv2d(3, 16, 3)
    with pytest.raises(dc.ShapeError, match=r"expected input with 3 channels"):
        m(dc.randn(8, 4, 28, 28))


# --------------------------------------------------------- torch (optional)

@pytest.mark.parametrize("case", GRID[:10])
def test_conv2d_matches_torch(case):
    torch = pytest.importorskip("torch")
    n, c, co, h, w, k, stride, padding, dilation = case
    x, wt, b = _data((n, c, h, w), "float32", 0), _data((co, c) + k, "float32", 1), \
        _data((co,), "float32", 2)
    X, W, B = (dc.tensor(a, requires_grad=True) for a in (x, wt, b))
    tX, tW, tB = (torch.tensor(a, requires_grad=True) for a in (x, wt, b))
    out = F.conv2d(X, W, B, stride, padding, dilation)
    tout = torch.nn.functional.conv2d(tX, tW, tB, stride, padding, dilation)
    assert_close(out, tout.detach().numpy(), rtol=1e-4, atol=1e-4)
    g = _data(tuple(tout.shape), "float32", 3)
    out.backward(dc.tensor(g))
    tout.backward(torch.tensor(g))
    for t, tt in ((X, tX), (W, tW), (B, tB)):
        assert_close(t.grad, tt.grad.numpy(), rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------- no crash

_ODD_TENSORS = [dc.tensor(1.0), dc.ones(3), dc.ones(0, 3, 4, 4), dc.ones(2, 0, 4, 4),
                dc.ones(2, 3, 0, 4), dc.ones(1, 3, 1, 1), dc.ones(2, 3, 4, 4, dtype=dc.int64),
                dc.ones(2, 3, 4, 4, dtype=dc.bool), dc.ones(2, 3, 4, 4, dtype=dc.float64),
                dc.ones(3, 4, 4), dc.ones(1, 1, 1, 1, 1)]
_ODD_ARGS = [0, -1, 1, 2, 2 ** 31, 2 ** 62, (1, 0), (0, 1), (3, -2), (), (1, 2, 3)]
def test_conv2d_no_crash_on_odd_inputs():
    """Every combination either works or raises a Python exception."""
    weights = [dc.ones(4, 3, 3, 3), dc.ones(4, 3, 1, 1), dc.ones(1, 0, 1, 1), dc.ones(4, 3, 9, 9),
               dc.ones(4, 3, 3, 3, dtype=dc.float64), dc.ones(3, 3)]
    for x in _ODD_TENSORS:
        for w in weights:
            call_allowing_errors(F.conv2d, x, w)
            call_allowing_errors(F.conv2d, x, w, dc.ones(4))
        for arg in _ODD_ARGS:
            call_allowing_errors(F.conv2d, x, weights[0], None, arg, 0)
            call_allowing_errors(F.conv2d, x, weights[0], None, 1, arg)
            call_allowing_errors(F.conv2d, x, weights[0], None, 1, 0, arg)
    g = dc.ones(2, 4, 2, 2)
    for shape in ([2, 3, 4, 4], [2, 3, 4], [-1, 3, 4, 4], [2 ** 40, 2 ** 40, 4, 4]):
        x = dc.ones(*[max(s, 0) % 5 for s in shape])
        call_allowing_errors(_C.conv2d_backward, g._a, x._a, weights[0]._a, [1], [0], [1], True, True, True)
