"""max_pool2d / avg_pool2d and their modules against direct-loop numpy
references (windows, padding, dilation, ceil_mode, divisors, ties, NaN),
gradcheck, and error messages."""
import numpy as np
import pytest

import deepcore as dc
import deepcore.nn.functional as F
from deepcore import _C
from deepcore.autograd import gradcheck

from conftest import assert_close, leaf, call_allowing_errors


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _out_size(n, k, s, p, d, ceil_mode):
    """PyTorch's pooling_output_shape."""
    num = n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _windows(shape, kernel_size, stride, padding, dilation, ceil_mode):
    """For each output (y, x): the window's valid taps [(r, c)] and its size
    clipped to the padded input."""
    h, w = shape[-2:]
    (kh, kw), (ph, pw), (dh, dw) = _pair(kernel_size), _pair(padding), _pair(dilation)
    sh, sw = _pair(stride) if stride is not None else (kh, kw)
    oh = _out_size(h, kh, sh, ph, dh, ceil_mode)
    ow = _out_size(w, kw, sw, pw, dw, ceil_mode)
    wins = {}
    for y in range(oh):
        for x in range(ow):
            r0, c0 = y * sh - ph, x * sw - pw
            taps = [(r0 + i * dh, c0 + j * dw) for i in range(kh) for j in range(kw)]
            valid = [(r, c) for r, c in taps if 0 <= r < h and 0 <= c < w]
            padded = (min(r0 + kh, h + ph) - r0) * (min(c0 + kw, w + pw) - c0)
            wins[y, x] = valid, padded
    return (oh, ow), wins


def max_pool_ref(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """(out, indices) by direct loops; the first maximum in window order wins."""
    x = np.asarray(x, np.float64)
    (oh, ow), wins = _windows(x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    lead = x.shape[:-2]
    out = np.empty(lead + (oh, ow))
    idx = np.empty(lead + (oh, ow), np.int64)
    for (y, xx), (valid, _) in wins.items():
        vals = np.stack([x[..., r, c] for r, c in valid], axis=-1)
        k = np.argmax(vals, axis=-1)
        out[..., y, xx] = np.take_along_axis(vals, k[..., None], -1)[..., 0]
        flat = np.array([r * x.shape[-1] + c for r, c in valid])
        idx[..., y, xx] = flat[k]
    return out, idx


def max_pool_grad_ref(shape, idx, g):
    gx = np.zeros(shape).reshape(-1, shape[-2] * shape[-1])
    planes_idx = idx.reshape(gx.shape[0], -1)
    planes_g = np.asarray(g, np.float64).reshape(gx.shape[0], -1)
    for p in range(gx.shape[0]):
        np.add.at(gx[p], planes_idx[p], planes_g[p])
    return gx.reshape(shape)


def avg_pool_ref(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
    x = np.asarray(x, np.float64)
    (oh, ow), wins = _windows(x.shape, kernel_size, stride, padding, 1, ceil_mode)
    out = np.empty(x.shape[:-2] + (oh, ow))
    for (y, xx), (valid, padded) in wins.items():
        d = divisor_override or (padded if count_include_pad else len(valid))
        out[..., y, xx] = sum(x[..., r, c] for r, c in valid) / d
    return out


def avg_pool_grad_ref(shape, g, kernel_size, stride=None, padding=0, ceil_mode=False,
                      count_include_pad=True, divisor_override=None):
    g = np.asarray(g, np.float64)
    _, wins = _windows(shape, kernel_size, stride, padding, 1, ceil_mode)
    gx = np.zeros(shape)
    for (y, xx), (valid, padded) in wins.items():
        d = divisor_override or (padded if count_include_pad else len(valid))
        for r, c in valid:
            gx[..., r, c] += g[..., y, xx] / d
    return gx


def _data(shape, dtype="float64", seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-12, atol=1e-12)}

# (input shape, kernel_size, stride, padding, dilation, ceil_mode)
MAX_GRID = [
    ((2, 3, 8, 8), 2, None, 0, 1, False),           # the MNIST layer
    ((2, 3, 9, 7), 2, None, 0, 1, False),           # odd sizes drop the last row/column
    ((2, 3, 9, 7), 2, None, 0, 1, True),            # ... which ceil_mode keeps
    ((1, 2, 7, 9), 3, 2, 1, 1, False),
    ((2, 1, 10, 7), (3, 2), (2, 1), (1, 1), 1, True),
    ((2, 2, 11, 9), (2, 3), (1, 2), (1, 1), (2, 3), False),  # dilation
    ((2, 2, 11, 9), 3, 3, 1, 2, True),
    ((3, 5, 5), 5, 1, 0, 1, False),                 # unbatched, kernel = input
    ((1, 1, 5, 5), 5, 1, 2, 1, False),              # kernel = input, padding = half
    ((1, 2, 2, 2), 3, 2, 0, 1, True),               # ceil_mode window beyond the input
    ((2, 3, 1, 6), (1, 3), (1, 2), (0, 1), 1, False),
    ((2, 3, 4, 1), (1, 2), (1, 2), 0, 1, True),     # ceil_mode window past the right edge
    ((2, 3, 5, 3), (3, 3), (1, 2), 0, 1, True),     # ... with a 3x3 kernel
    ((1, 2, 9, 10), 3, 1, 1, 1, False),             # 3x3 inside windows and borders
    ((1, 2, 9, 10), (2, 2), (2, 1), (1, 1), (1, 2), True),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", MAX_GRID)
def test_max_pool2d_grid(case, dtype):
    shape, k, s, p, d, ceil_mode = case
    x = _data(shape, dtype)
    X = dc.tensor(x, requires_grad=True)
    out, idx = F.max_pool2d(X, k, s, p, d, ceil_mode=ceil_mode, return_indices=True)
    ref, ref_idx = max_pool_ref(x, k, s, p, d, ceil_mode)
    assert_close(out, ref, dtype=X.dtype, **TOL[dtype])
    assert idx.dtype == dc.int64 and not idx.requires_grad
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    g = _data(ref.shape, dtype, 1)
    out.backward(dc.tensor(g))
    assert_close(X.grad, max_pool_grad_ref(shape, ref_idx, g), **TOL[dtype])


# (input shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
AVG_GRID = [
    ((2, 3, 8, 8), 2, None, 0, False, True, None),
    ((2, 3, 9, 7), 3, 2, 1, False, True, None),
    ((2, 3, 9, 7), 3, 2, 1, False, False, None),
    ((2, 3, 9, 7), 3, 2, 1, True, True, None),     # last window clipped to the padded input
    ((2, 3, 9, 7), 3, 2, 1, True, False, None),
    ((1, 2, 7, 10), (2, 3), (1, 2), (1, 1), True, True, None),
    ((1, 2, 7, 10), (2, 4), (3, 1), (0, 2), False, False, None),
    ((2, 2, 6, 6), 2, None, 0, False, True, 3),
    ((2, 2, 6, 6), 3, 2, 1, True, False, -2),
    ((3, 5, 5), 5, 1, 2, False, True, None),       # unbatched, kernel = input
    ((1, 2, 2, 2), 3, 2, 0, True, True, None),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", AVG_GRID)
def test_avg_pool2d_grid(case, dtype):
    shape, k, s, p, ceil_mode, include_pad, div = case
    x = _data(shape, dtype)
    X = dc.tensor(x, requires_grad=True)
    out = F.avg_pool2d(X, k, s, p, ceil_mode, include_pad, div)
    ref = avg_pool_ref(x, k, s, p, ceil_mode, include_pad, div)
    assert_close(out, ref, dtype=X.dtype, **TOL[dtype])
    g = _data(ref.shape, dtype, 1)
    out.backward(dc.tensor(g))
    assert_close(X.grad, avg_pool_grad_ref(shape, g, k, s, p, ceil_mode, include_pad, div),
                 **TOL[dtype])


def test_pool_gradcheck():
    x = leaf(_data((2, 2, 5, 6)))
    assert gradcheck(lambda x: F.max_pool2d(x, 2), (x,))
    assert gradcheck(lambda x: F.max_pool2d(x, (3, 2), (2, 1), 1, (1, 2), ceil_mode=True), (x,))
    assert gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True), (x,))
    assert gradcheck(lambda x: F.avg_pool2d(x, (2, 3), 1, (1, 0), count_include_pad=False), (x,))
    x3 = leaf(_data((2, 4, 4)))
    assert gradcheck(lambda x: F.max_pool2d(x, 2, 1), (x3,))
    assert gradcheck(lambda x: F.avg_pool2d(x, 2, 1), (x3,))


def test_max_pool2d_ties_padding_and_nan():
    # Ties: the first maximum of the window in row-major order.
    x = dc.ones(1, 1, 4, 4)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[0, 2], [8, 10]])
    # Padding counts as -inf, never as a maximum: all-negative input.
    x = dc.tensor(-np.arange(1, 10, dtype=np.float32).reshape(1, 1, 3, 3))
    out, idx = F.max_pool2d(x, 3, 1, 1, return_indices=True)
    assert out.numpy().max() == -1.0
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[0, 0, 1], [0, 0, 1], [3, 3, 4]])
    # A window of -inf gives -inf at its first valid position.
    x = dc.tensor(np.full((1, 1, 2, 2), -np.inf))
    out, idx = F.max_pool2d(x, 2, 1, 1, return_indices=True)
    assert np.isneginf(out.numpy()).all()
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[0, 0, 1], [0, 0, 1], [2, 2, 3]])
    # NaN wins (the last NaN of the window, as PyTorch), and its gradient flows there.
    a = np.array([[1.0, np.nan], [np.nan, 5.0]]).reshape(1, 1, 2, 2)
    X = dc.tensor(a, requires_grad=True)
    out, idx = F.max_pool2d(X, 2, return_indices=True)
    assert np.isnan(out.item()) and idx.item() == 2
    out.sum().backward()
    np.testing.assert_array_equal(X.grad.numpy().ravel(), [0, 0, 1, 0])


def _max_pool_rule_ref(x, k, s):
    """PyTorch's rule tap by tap (no padding): start at -inf on the first tap;
    a larger value or a NaN takes over (so the last NaN of a window wins)."""
    n, c, h, w = x.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    out = np.empty((n, c, oh, ow), x.dtype)
    idx = np.empty((n, c, oh, ow), np.int64)
    for y in range(oh):
        for xx in range(ow):
            best = np.full((n, c), -np.inf, x.dtype)
            arg = np.full((n, c), (y * s) * w + xx * s, np.int64)
            for i in range(k):
                for j in range(k):
                    r, col = y * s + i, xx * s + j
                    v = x[:, :, r, col]
                    take = (v > best) | np.isnan(v)
                    best = np.where(take, v, best)
                    arg = np.where(take, r * w + col, arg)
            out[:, :, y, xx], idx[:, :, y, xx] = best, arg
    return out, idx


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("k, s", [(2, 2), (2, 1), (2, 3), (3, 1), (3, 2), (3, 3)])
def test_pool_unrolled_windows_ties_nans_and_long_rows(k, s, dtype):
    # The 2x2 and 3x3 windows run unrolled kernels, one output per vector lane,
    # in chunks of 256 outputs: ties, NaNs (several in a window), -inf windows
    # and rows of more than one chunk against the tap-by-tap rule; avg pooling
    # and both backward passes against the direct references.
    rng = np.random.default_rng(k * 10 + s)
    w = 3 * 256 + 5  # ow > 256 for every stride here
    x = rng.integers(-2, 2, size=(2, 2, 7, w)).astype(dtype)
    x[0, 0, rng.integers(0, 7, 40), rng.integers(0, w, 40)] = np.nan
    x[1, 1, :3, :9] = -np.inf
    out, idx = F.max_pool2d(dc.tensor(x), k, s, return_indices=True)
    ref, ref_idx = _max_pool_rule_ref(x, k, s)
    np.testing.assert_array_equal(out.numpy(), ref)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    g = rng.standard_normal(ref.shape).astype(dtype)
    X = dc.tensor(x, requires_grad=True)
    F.max_pool2d(X, k, s).backward(dc.tensor(g))
    assert_close(X.grad, max_pool_grad_ref(x.shape, ref_idx, g), **TOL[dtype])
    xf = rng.standard_normal((2, 2, 7, w)).astype(dtype)
    X = dc.tensor(xf, requires_grad=True)
    y = F.avg_pool2d(X, k, s)
    assert_close(y, avg_pool_ref(xf, k, s), **TOL[dtype])
    g = rng.standard_normal(tuple(y.shape)).astype(dtype)
    y.backward(dc.tensor(g))
    assert_close(X.grad, avg_pool_grad_ref(xf.shape, g, k, s), **TOL[dtype])


def test_max_pool2d_ties_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=(2, 3, 9, 8)).astype(np.float32)  # many ties
    for kw in [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1),
               dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 1), dilation=(2, 1),
                    ceil_mode=True)]:
        out, idx = F.max_pool2d(dc.tensor(x), return_indices=True, **kw)
        tout, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kw)
        np.testing.assert_array_equal(out.numpy(), tout.numpy())
        np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


def test_avg_pool2d_matches_torch():
    torch = pytest.importorskip("torch")
    x = _data((2, 3, 9, 7), "float32")
    for case in AVG_GRID:
        shape, k, s, p, ceil_mode, include_pad, div = case
        x = _data(shape, "float32")
        out = F.avg_pool2d(dc.tensor(x), k, s, p, ceil_mode, include_pad, div)
        tout = torch.nn.functional.avg_pool2d(torch.tensor(x), k, s, p, ceil_mode, include_pad,
                                              div)
        assert_close(out, tout.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("threads", [1, 2])
def test_pool_large_and_non_contiguous(threads):
    """Enough planes to split over threads; a transposed (non-contiguous) input."""
    dc.set_num_threads(threads)
    x = _data((16, 32, 24, 24), "float32")
    X = dc.tensor(np.ascontiguousarray(x.swapaxes(2, 3))).transpose(2, 3)
    assert not X.is_contiguous()
    X.requires_grad_()
    out, idx = F.max_pool2d(X, 2, return_indices=True)
    ref = x.reshape(16, 32, 12, 2, 12, 2).max(axis=(3, 5))
    np.testing.assert_array_equal(out.detach().numpy(), ref)
    g = _data(ref.shape, "float32", 1)
    out.backward(dc.tensor(g))
    assert_close(X.grad, max_pool_grad_ref(x.shape, idx.numpy(), g))
    X.grad = None
    out = F.avg_pool2d(X, 2)
    assert_close(out, x.reshape(16, 32, 12, 2, 12, 2).mean(axis=(3, 5)), rtol=1e-6, atol=1e-6)
    out.backward(dc.tensor(g))
    assert_close(X.grad, np.repeat(np.repeat(g, 2, 2), 2, 3) / 4, rtol=1e-6, atol=1e-7)


def test_pool_empty_batch_and_no_grad():
    x = dc.randn(0, 3, 6, 6, requires_grad=True)
    out = F.max_pool2d(x, 2)
    assert out.shape == (0, 3, 3, 3)
    out.sum().backward()
    assert x.grad.shape == (0, 3, 6, 6)
    assert F.avg_pool2d(dc.randn(0, 3, 6, 6), 3).shape == (0, 3, 2, 2)
    y = F.max_pool2d(dc.randn(1, 2, 4, 4), 2)
    assert not y.requires_grad and y.grad_fn is None
    with dc.no_grad():
        assert not F.avg_pool2d(dc.randn(1, 2, 4, 4, requires_grad=True), 2).requires_grad


def test_max_pool2d_backward_ignores_out_of_range_indices():
    """Only hand-made indices can be out of range; they are skipped, not a crash."""
    g = dc.ones(1, 1, 2, 2)
    idx = dc.tensor(np.array([[[[0, -1], [99, 3]]]], dtype=np.int64))
    gx = _C.max_pool2d_backward(g._a, idx._a, [1, 1, 4, 4], [2], [], [0], [1], False)
    np.testing.assert_array_equal(dc.Tensor._make(gx).numpy().ravel(),
                                  [1, 0, 0, 1] + [0] * 12)


POOL_ERRORS = [
    # (function, input shape, kwargs, exception, message)
    (F.max_pool2d, (2, 5), dict(kernel_size=2), dc.ShapeError,
     r"max_pool2d: expected 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got input of shape "
     r"\(2, 5\)"),
    (F.avg_pool2d, (1, 2, 3, 5, 5), dict(kernel_size=2), dc.ShapeError,
     r"avg_pool2d: expected 3-D .* got input of shape \(1, 2, 3, 5, 5\)"),
    (F.max_pool2d, (2, 0, 5, 5), dict(kernel_size=2), dc.ShapeError,
     r"non-zero channels, height and width .* \(2, 0, 5, 5\)"),
    (F.avg_pool2d, (2, 3, 5, 0), dict(kernel_size=2), dc.ShapeError, r"non-zero channels"),
    (F.max_pool2d, (2, 3, 5, 5), dict(kernel_size=0), ValueError,
     r"max_pool2d: kernel_size must be positive, got \(0, 0\)"),
    (F.max_pool2d, (2, 3, 5, 5), dict(kernel_size=2, stride=0), ValueError,
     r"max_pool2d: stride must be positive, got \(0, 0\)"),
    (F.avg_pool2d, (2, 3, 5, 5), dict(kernel_size=2, stride=(1, -1)), ValueError,
     r"avg_pool2d: stride must be positive, got \(1, -1\)"),
    (F.max_pool2d, (2, 3, 5, 5), dict(kernel_size=2, padding=-1), ValueError,
     r"padding must be non-negative, got \(-1, -1\)"),
    (F.max_pool2d, (2, 3, 5, 5), dict(kernel_size=2, dilation=0), ValueError,
     r"dilation must be positive, got \(0, 0\)"),
    (F.max_pool2d, (2, 3, 5, 5), dict(kernel_size=3, padding=2), ValueError,
     r"max_pool2d: padding \(2, 2\) must be at most half of the kernel size \(3, 3\)"),
    (F.max_pool2d, (2, 3, 9, 9), dict(kernel_size=2, padding=(0, 2), dilation=(1, 2)), ValueError,
     r"padding \(0, 2\) must be at most half of the kernel size \(2, 3\) \(dilated\)"),
    (F.avg_pool2d, (2, 3, 5, 5), dict(kernel_size=(2, 4), padding=(1, 3)), ValueError,
     r"avg_pool2d: padding \(1, 3\) must be at most half of the kernel size \(2, 4\)"),
    (F.max_pool2d, (2, 3, 2, 2), dict(kernel_size=3), dc.ShapeError,
     r"max_pool2d: output size \(0, 0\) is too small for input of shape \(2, 3, 2, 2\) "
     r"\(kernel_size \(3, 3\), stride \(3, 3\), padding \(0, 0\)\)"),
    (F.max_pool2d, (2, 3, 5, 5), dict(kernel_size=(1, 2, 3)), ValueError,
     r"kernel_size must be an int or a pair of ints, got \(1, 2, 3\)"),
    (F.max_pool2d, (2, 3, 5, 5), dict(kernel_size=2.0), TypeError,
     r"max_pool2d: kernel_size must be an int or a tuple of ints, got 2.0"),
    (F.max_pool2d, (2, 3, 5, 5), dict(kernel_size=2 ** 40), ValueError, r"too large"),
    (F.avg_pool2d, (2, 3, 5, 5), dict(kernel_size=2, divisor_override=0), ValueError,
     r"avg_pool2d: divisor_override must be non-zero"),
    (F.avg_pool2d, (2, 3, 5, 5), dict(kernel_size=2, divisor_override=(1, 2)), TypeError,
     r"divisor_override must be an int or None"),
]


@pytest.mark.parametrize("fn, shape, kw, exc, msg", POOL_ERRORS)
def test_pool_errors(fn, shape, kw, exc, msg):
    with pytest.raises(exc, match=msg):
        fn(dc.randn(*shape), **kw)


def test_pool_type_errors():
    with pytest.raises(TypeError, match=r"max_pool2d: expected a floating point tensor .* int64"):
        F.max_pool2d(dc.ones(1, 1, 4, 4, dtype=dc.int64), 2)
    with pytest.raises(TypeError, match=r"avg_pool2d: expected a floating point tensor .* bool"):
        F.avg_pool2d(dc.ones(1, 1, 4, 4, dtype=dc.bool), 2)
    with pytest.raises(TypeError, match=r"avg_pool2d: input must be a Tensor, got ndarray"):
        F.avg_pool2d(np.ones((1, 1, 4, 4)), 2)


def test_pool_backward_checks():
    g = dc.randn(1, 1, 2, 2)
    with pytest.raises(dc.ShapeError, match=r"max_pool2d_backward: expected grad_output of shape "
                                            r"\(1, 1, 2, 3\) \(the output's\), got \(1, 1, 2, 2\)"):
        _C.max_pool2d_backward(g._a, g.long()._a, [1, 1, 4, 6], [2], [], [0], [1], False)
    with pytest.raises(TypeError, match=r"expected int64 indices of shape \(1, 1, 2, 2\), got "
                                        r"float32 of shape \(1, 1, 2, 2\)"):
        _C.max_pool2d_backward(g._a, g._a, [1, 1, 4, 4], [2], [], [0], [1], False)
    with pytest.raises(dc.ShapeError, match=r"avg_pool2d_backward: expected grad_output"):
        _C.avg_pool2d_backward(g._a, [1, 1, 6, 4], [2], [], [0], False, True, None)
    with pytest.raises(ValueError, match=r"avg_pool2d_backward: negative dimension -1"):
        _C.avg_pool2d_backward(g._a, [1, -1, 6, 4], [2], [], [0], False, True, None)


# ----------------------------------------------------------------- modules

def test_pool_modules():
    m = dc.nn.MaxPool2d(2)
    assert repr(m) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    m2 = dc.nn.MaxPool2d((2, 3), stride=1, padding=1, dilation=2, return_indices=True,
                         ceil_mode=True)
    assert repr(m2) == ("MaxPool2d(kernel_size=(2, 3), stride=1, padding=1, dilation=2, "
                        "ceil_mode=True)")
    a = dc.nn.AvgPool2d(3, 2, 1, True, False, 4)
    assert repr(a) == "AvgPool2d(kernel_size=3, stride=2, padding=1)"
    assert repr(dc.nn.AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    x = _data((2, 3, 9, 8), "float32")
    X = dc.tensor(x)
    assert_close(m(X), max_pool_ref(x, 2)[0])
    out, idx = m2(X)
    ref, ref_idx = max_pool_ref(x, (2, 3), 1, 1, 2, True)
    assert_close(out, ref)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    assert_close(a(X), avg_pool_ref(x, 3, 2, 1, True, False, 4), rtol=1e-6, atol=1e-6)
    assert list(m.parameters()) == [] and m.state_dict() == {}


def test_pool_no_crash_on_odd_inputs():
    """Every combination either works or raises a Python exception."""
    tensors = [dc.tensor(1.0), dc.ones(3), dc.ones(0, 3, 4, 4), dc.ones(2, 0, 4, 4),
               dc.ones(1, 3, 1, 1), dc.ones(2, 3, 4, 4, dtype=dc.int64), dc.ones(3, 4, 4),
               dc.ones(1, 1, 1, 1, 1), dc.ones(2, 3, 4, 4, dtype=dc.float64)]
    args = [0, -1, 1, 2, 3, 2 ** 31, 2 ** 62, (1, 0), (3, -2), (), (1, 2, 3)]
    for x in tensors:
        for a in args:
            for b in (None, 1, a):
                call_allowing_errors(F.max_pool2d, x, a, b)
                call_allowing_errors(F.max_pool2d, x, 2, b, a)
                call_allowing_errors(F.max_pool2d, x, 3, b, 1, a, True)
                call_allowing_errors(F.avg_pool2d, x, a, b)
                call_allowing_errors(F.avg_pool2d, x, 2, b, a, True, False)
                call_allowing_errors(F.avg_pool2d, x, 2, b, 0, False, True, a if isinstance(a, int) else None)
    g = dc.ones(1, 1, 2, 2)
    for shape in ([1, 1, 4, 4], [1, 1, 2 ** 62, 4], [1, -1, 4, 4], [4, 4], [2 ** 31] * 4):
        call_allowing_errors(_C.max_pool2d_backward, g._a, g.long()._a, shape, [2], [], [0], [1], False)
        call_allowing_errors(_C.avg_pool2d_backward, g._a, shape, [2], [], [0], False, True, None)
