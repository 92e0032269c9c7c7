"""conv2d, max_pool2d and avg_pool2d on the GPU against the same ops on the
CPU (themselves tested against float64 numpy in test_nn_conv.py and
test_nn_pool.py): forward and gradients through autograd, float32 and
float64, over a grid of geometries, non-contiguous input, empty batches,
batches and samples large enough to be cut into several im2col chunks, and
mixed-device errors."""
import numpy as np
import pytest

import deepcore as dc
import deepcore.nn.functional as F
from deepcore import _C
from deepcore.autograd import gradcheck

from conftest import needs_gpu

DT = {"float32": (dc.float32, np.float32), "float64": (dc.float64, np.float64)}


def _rand(shape, dtype, seed):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape).astype(DT[dtype][1])


def _on(a, device, requires_grad=False, noncontig=False):
    """A tensor with a's values on `device`; noncontig: a transposed view of H and W."""
    if noncontig:
        t = dc.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2)), device=device)
        t = t.transpose(-1, -2)
        assert not t.is_contiguous()
        if requires_grad:
            t = t.detach().requires_grad_()
        return t
    return dc.tensor(a, device=device, requires_grad=requires_grad)


def _np(t):
    return t.detach().cpu().numpy()


def _close(gpu, cpu, dtype, scale_of=None):
    """GPU result vs CPU result: the same formulas, summed in another order."""
    g, c = _np(gpu), _np(cpu)
    assert g.shape == c.shape and g.dtype == c.dtype
    scale = max(1.0, float(np.abs(c if scale_of is None else scale_of).max(initial=0)))
    tol = 2e-5 if dtype == "float32" else 1e-11
    np.testing.assert_allclose(g, c, rtol=tol, atol=tol * scale)


# ------------------------------------------------------------------ conv2d

CONV_CASES = [
    # (N, C, H, W), (Co, KH, KW), stride, padding, dilation
    ((2, 3, 9, 8), (4, 3, 3), 1, 0, 1),
    ((2, 3, 9, 8), (4, 3, 3), 1, 1, 1),
    ((3, 2, 11, 10), (5, 3, 2), (2, 1), (1, 0), 1),
    ((2, 4, 12, 13), (3, 3, 3), 2, 1, 2),
    ((1, 3, 10, 10), (2, 2, 3), 3, (2, 1), (1, 2)),
    ((2, 5, 7, 6), (4, 1, 1), 1, 0, 1),       # 1x1, stride 1: no im2col
    ((2, 5, 7, 6), (4, 1, 1), 2, 0, 1),       # 1x1 strided: im2col
    ((2, 5, 7, 6), (4, 1, 1), 1, 1, 1),       # 1x1 padded: im2col
    ((3, 2, 5, 5), (3, 5, 5), 1, 0, 1),       # kernel == input: 1x1 output
    ((2, 3, 4, 4), (2, 3, 3), 1, 2, 1),       # padding larger than the reach
    ((4, 1, 28, 28), (16, 3, 3), 1, 0, 1),    # MNIST conv1
    ((2, 16, 14, 14), (32, 3, 3), 1, 1, 1),
    ((1, 1, 1, 1), (1, 1, 1), 1, 0, 1),
]


def _conv_pair(dtype, xshape, wshape, stride, padding, dilation, bias, noncontig=False,
               seed=0):
    """(gpu, cpu) results of conv2d forward and of its three gradients."""
    n, c = xshape[:2]
    co, kh, kw = wshape
    x = _rand(xshape, dtype, seed)
    w = _rand((co, c, kh, kw), dtype, seed + 1)
    b = _rand((co,), dtype, seed + 2) if bias else None
    res = {}
    for dev in ("cuda", "cpu"):
        xt = _on(x, dev, True, noncontig)
        wt = _on(w, dev, True)
        bt = None if b is None else _on(b, dev, True)
        out = F.conv2d(xt, wt, bt, stride, padding, dilation)
        g = _rand(out.shape, dtype, seed + 3)
        out.backward(dc.tensor(g, device=dev))
        res[dev] = (out, xt.grad, wt.grad, None if bt is None else bt.grad)
    return res["cuda"], res["cpu"]


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_gpu_matches_cpu(case, bias, dtype):
    gpu, cpu = _conv_pair(dtype, *case, bias)
    assert gpu[0].device.type == "cuda" and gpu[1].device.type == "cuda"
    for g, c in zip(gpu, cpu):
        if c is None:
            assert g is None
        else:
            _close(g, c, dtype)


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv2d_gpu_noncontiguous_input(dtype):
    gpu, cpu = _conv_pair(dtype, (2, 3, 8, 9), (4, 3, 3), 1, 1, 1, True, noncontig=True)
    for g, c in zip(gpu, cpu):
        _close(g, c, dtype)


@needs_gpu
def test_conv2d_gpu_float32_gradients_match_float64():
    """The float32 GPU gradients are float32-accurate (against float64 on the CPU)."""
    geo = ((3, 8, 12, 12), (6, 3, 3), 1, 1, 1, True)
    g32, _ = _conv_pair("float32", *geo)
    _, c64 = _conv_pair("float64", *geo)
    for g, c in zip(g32, c64):
        scale = max(1.0, float(np.abs(_np(c)).max()))
        np.testing.assert_allclose(_np(g), _np(c), rtol=1e-4, atol=1e-4 * scale)


@needs_gpu
def test_conv2d_gpu_unbatched_and_grad_subsets():
    x = _rand((3, 7, 7), "float64", 0)
    w = _rand((2, 3, 3, 3), "float64", 1)
    out = {}
    for dev in ("cuda", "cpu"):
        xt = dc.tensor(x, device=dev)  # no input gradient
        wt = dc.tensor(w, device=dev, requires_grad=True)
        y = F.conv2d(xt, wt, None, 1, 1)
        assert y.shape == (2, 7, 7)
        y.sum().backward()
        out[dev] = (y, wt.grad)
    for g, c in zip(out["cuda"], out["cpu"]):
        _close(g, c, "float64")
    # Only the input and bias gradients, natively.
    g = dc.tensor(_rand((1, 2, 5, 5), "float64", 2), device="cuda")
    xg = dc.tensor(x[None], device="cuda")
    wg = dc.tensor(w, device="cuda")
    gx, gw, gb = _C.conv2d_backward(g._a, xg._a, wg._a, [1], [0], [1], True, False, True)
    assert gw is None
    cx, _, cb = _C.conv2d_backward(g.cpu()._a, xg.cpu()._a, wg.cpu()._a, [1], [0], [1], True,
                                   False, True)
    _close(dc.Tensor._make(gx), dc.Tensor._make(cx), "float64")
    _close(dc.Tensor._make(gb), dc.Tensor._make(cb), "float64")


@needs_gpu
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_gpu_empty_batch_and_channels(bias):
    b = None
    if bias:
        b = dc.tensor(np.arange(3.0, dtype=np.float32), device="cuda", requires_grad=True)
    # Empty batch: an empty output, zero weight and bias gradients.
    x = dc.zeros(0, 2, 5, 5, device="cuda", requires_grad=True)
    w = dc.ones(3, 2, 3, 3, device="cuda", requires_grad=True)
    y = F.conv2d(x, w, b)
    assert y.shape == (0, 3, 3, 3) and y.device.type == "cuda"
    y.backward(dc.zeros(0, 3, 3, 3, device="cuda"))
    assert x.grad.shape == (0, 2, 5, 5)
    np.testing.assert_array_equal(_np(w.grad), np.zeros((3, 2, 3, 3)))
    if bias:
        np.testing.assert_array_equal(_np(b.grad), np.zeros(3))
        b.grad = None
    # No input channels: the output is the bias (or zeros).
    x = dc.zeros(2, 0, 5, 5, device="cuda", requires_grad=True)
    w = dc.ones(3, 0, 3, 3, device="cuda", requires_grad=True)
    y = F.conv2d(x, w, b)
    expect = np.broadcast_to(np.arange(3.0)[:, None, None] if bias else 0.0, (2, 3, 3, 3))
    np.testing.assert_array_equal(_np(y), expect)
    y.backward(dc.ones(2, 3, 3, 3, device="cuda"))
    assert x.grad.shape == (2, 0, 5, 5) and w.grad.shape == (3, 0, 3, 3)
    if bias:
        np.testing.assert_array_equal(_np(b.grad), np.full(3, 18.0))


@needs_gpu
def test_conv2d_gpu_batch_in_several_chunks():
    """The column matrices of 40 samples (9.4 MB each in float32, 19 MB in
    float64) exceed the 256 MiB chunk: two chunks (28 + 12 samples) in
    float32, three in float64."""
    for dtype in ("float32", "float64"):
        gpu, cpu = _conv_pair(dtype, (40, 16, 130, 130), (8, 3, 3), 1, 0, 1, True)
        for g, c in zip(gpu, cpu):
            _close(g, c, dtype)


@needs_gpu
def test_conv2d_gpu_sample_in_several_runs():
    """One sample's float64 column matrix (576 x 62500: 288 MB) exceeds the
    chunk: it is cut into runs of output positions, the weight gradient of
    each run into pieces, and col2im adds the runs into the input gradient."""
    gpu, cpu = _conv_pair("float64", (2, 64, 250, 250), (4, 3, 3), 1, 1, 1, True)
    for g, c in zip(gpu, cpu):
        _close(g, c, "float64")


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", [CONV_CASES[1], CONV_CASES[5], CONV_CASES[10]])
def test_conv2d_relu_gpu_matches_cpu(case, dtype):
    """nn.Sequential's fused Conv2d + ReLU: forward and the three gradients."""
    (n, c, h, w), (co, kh, kw), stride, padding, dilation = case
    x = _rand((n, c, h, w), dtype, 0)
    res = {}
    for dev in ("cpu", "cuda"):
        dc.manual_seed(0)  # the same parameters, drawn on the CPU
        conv = dc.nn.Conv2d(c, co, (kh, kw), stride, padding, dilation, dtype=DT[dtype][0])
        seq = dc.nn.Sequential(conv, dc.nn.ReLU()).to(dev)
        xt = dc.tensor(x, device=dev, requires_grad=True)
        out = seq(xt)
        assert out.grad_fn.name() == "Conv2dReluBackward"
        out.backward(dc.tensor(_rand(out.shape, dtype, 1), device=dev))
        res[dev] = [out, xt.grad, conv.weight.grad, conv.bias.grad]
    for g, c_ in zip(res["cuda"], res["cpu"]):
        _close(g, c_, dtype)


@needs_gpu
def test_conv2d_gpu_gradcheck():
    x = dc.tensor(_rand((2, 2, 6, 5), "float64", 0), device="cuda", requires_grad=True)
    w = dc.tensor(_rand((3, 2, 3, 2), "float64", 1), device="cuda", requires_grad=True)
    b = dc.tensor(_rand((3,), "float64", 2), device="cuda", requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, (2, 1), 1, (1, 2)), (x, w, b))


@needs_gpu
def test_conv2d_gpu_module():
    dc.manual_seed(0)
    m = dc.nn.Conv2d(3, 4, 3, padding=1)
    x = _rand((2, 3, 6, 6), "float32", 0)
    y_cpu = m(dc.tensor(x))
    m.to("cuda")
    y = m(dc.tensor(x, device="cuda"))
    assert y.device.type == "cuda"
    _close(y, y_cpu, "float32")


@needs_gpu
def test_conv2d_mixed_devices_raise():
    x = dc.ones(1, 2, 5, 5, device="cuda")
    w = dc.ones(3, 2, 3, 3)
    with pytest.raises(RuntimeError, match=r"conv2d.*(cuda:0.*cpu|cpu.*cuda:0)"):
        F.conv2d(x, w)
    with pytest.raises(RuntimeError, match=r"conv2d.*(cuda:0.*cpu|cpu.*cuda:0)"):
        F.conv2d(x.cpu(), w.cuda())
    with pytest.raises(RuntimeError, match=r"conv2d.*(cuda:0.*cpu|cpu.*cuda:0)"):
        F.conv2d(x, w.cuda(), dc.ones(3))
    g = dc.ones(1, 3, 3, 3)
    with pytest.raises(RuntimeError, match=r"conv2d.*(cuda:0.*cpu|cpu.*cuda:0)"):
        _C.conv2d_backward(g._a, x._a, w.cuda()._a, [1], [0], [1], True, True, True)


# ----------------------------------------------------------------- pooling

POOL_CASES = [
    # (N, C, H, W), kernel, stride, padding, dilation, ceil_mode
    ((2, 3, 8, 8), 2, None, 0, 1, False),
    ((2, 3, 9, 7), 3, 2, 1, 1, False),
    ((2, 3, 9, 7), 3, 2, 1, 1, True),
    ((1, 2, 10, 11), (3, 2), (2, 1), (1, 1), 1, True),
    ((2, 2, 12, 12), 3, 1, 1, 1, False),       # overlapping windows
    ((2, 2, 13, 12), (2, 3), 2, (1, 0), 2, True),
    ((3, 4, 5, 5), 5, 1, 0, 1, False),         # kernel == input
    ((2, 3, 6, 6), 1, 1, 0, 1, False),
    ((3, 7, 7), 2, None, 0, 1, True),          # unbatched
]


def _pool_input(dtype, shape, seed=0, ties=False):
    x = _rand(shape, dtype, seed)
    if ties:  # few distinct values: many equal maxima
        x = np.round(x * 2).astype(x.dtype)
    return x


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", POOL_CASES)
def test_max_pool2d_gpu_matches_cpu(case, dtype):
    shape, k, s, p, d, ceil = case
    for ties in (False, True):
        x = _pool_input(dtype, shape, ties=ties)
        res = {}
        for dev in ("cuda", "cpu"):
            xt = _on(x, dev, True)
            out, idx = F.max_pool2d(xt, k, s, p, d, ceil_mode=ceil, return_indices=True)
            g = _rand(out.shape, dtype, 5)
            out.backward(dc.tensor(g, device=dev))
            res[dev] = (out, idx, xt.grad)
        (o, i, gx), (oc, ic, gxc) = res["cuda"], res["cpu"]
        assert o.device.type == "cuda" and i.dtype == dc.int64
        np.testing.assert_array_equal(_np(o), _np(oc))
        np.testing.assert_array_equal(_np(i), _np(ic))
        _close(gx, gxc, dtype)  # overlapping windows: atomics may add in another order


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("case", [c for c in POOL_CASES if c[4] == 1])
def test_avg_pool2d_gpu_matches_cpu(case, count_include_pad, dtype):
    shape, k, s, p, _, ceil = case
    for divisor in (None, 3):
        x = _pool_input(dtype, shape)
        res = {}
        for dev in ("cuda", "cpu"):
            xt = _on(x, dev, True)
            out = F.avg_pool2d(xt, k, s, p, ceil_mode=ceil, count_include_pad=count_include_pad,
                               divisor_override=divisor)
            g = _rand(out.shape, dtype, 5)
            out.backward(dc.tensor(g, device=dev))
            res[dev] = (out, xt.grad)
        for g, c in zip(res["cuda"], res["cpu"]):
            _close(g, c, dtype)


@needs_gpu
def test_pool_gpu_noncontiguous_nan_and_empty():
    x = _pool_input("float32", (2, 3, 9, 8))
    x[0, 0, 1, 1] = np.nan
    x[1, 2, 4, 4:6] = np.nan
    for fn in (lambda t: F.max_pool2d(t, 3, 2, 1, return_indices=True),
               lambda t: (F.avg_pool2d(t, 3, 2, 1),)):
        got = fn(_on(x, "cuda", noncontig=True))
        want = fn(_on(x, "cpu", noncontig=True))
        for g, c in zip(got, want):
            np.testing.assert_array_equal(_np(g), _np(c))
    e = dc.zeros(0, 3, 6, 6, device="cuda", requires_grad=True)
    y = F.max_pool2d(e, 2)
    assert y.shape == (0, 3, 3, 3) and y.device.type == "cuda"
    y.backward(dc.zeros(0, 3, 3, 3, device="cuda"))
    assert e.grad.shape == (0, 3, 6, 6)
    assert F.avg_pool2d(e, 3).shape == (0, 3, 2, 2)


@needs_gpu
def test_max_pool2d_backward_gpu_hand_made_indices():
    """Any index inside the plane receives its gradient (as on the CPU), even
    outside its window; those outside the plane are skipped."""
    idx = np.array([[[[0, -1], [99, 3]]]], dtype=np.int64)
    for dev in ("cuda", "cpu"):
        g = dc.ones(1, 1, 2, 2, device=dev)
        gx = _C.max_pool2d_backward(g._a, dc.tensor(idx, device=dev)._a, [1, 1, 4, 4], [2], [],
                                    [0], [1], False)
        np.testing.assert_array_equal(_np(dc.Tensor._make(gx)).ravel(), [1, 0, 0, 1] + [0] * 12)


@needs_gpu
def test_pool_gpu_gradcheck():
    x = dc.tensor(_rand((2, 2, 7, 6), "float64", 0), device="cuda", requires_grad=True)
    assert gradcheck(lambda t: F.max_pool2d(t, 3, 2, 1), (x,))
    assert gradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1, count_include_pad=False), (x,))


@needs_gpu
def test_pool_mixed_devices_raise():
    g = dc.ones(1, 1, 2, 2, device="cuda")
    idx = dc.zeros(1, 1, 2, 2, dtype=dc.int64)
    with pytest.raises(RuntimeError, match=r"max_pool2d_backward.*(cuda:0.*cpu|cpu.*cuda:0)"):
        _C.max_pool2d_backward(g._a, idx._a, [1, 1, 4, 4], [2], [], [0], [1], False)
