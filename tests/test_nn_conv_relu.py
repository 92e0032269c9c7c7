"""The fused conv2d + relu that nn.Sequential runs for a Conv2d followed by a
ReLU: forward and gradients against float64 numpy (relu(conv) and the conv's
gradients of grad_output masked by the output), gradcheck, identity with the
two separate ops (NaN and -0.0 included), which Sequentials fuse, and the
native op's argument checks."""
import numpy as np
import pytest

import deepcore as dc
import deepcore.nn as nn
import deepcore.nn.functional as F
from deepcore import _C
from deepcore.autograd import gradcheck
from deepcore.nn.functional.conv import _conv2d

from conftest import assert_close, leaf
from test_nn_conv import GRID, IMPLICIT, TOL, _data, conv_grads_ref, conv_ref


@pytest.fixture(params=["default tiles", "tiny tiles"])
def tiles(request):
    """The default im2col budget, then 64 bytes (tiles of 8 positions that
    split output rows): the relu runs per tile, so both must agree."""
    if request.param == "default tiles":
        yield
        return
    old = _C._conv2d_set_col_budget(64)
    yield
    _C._conv2d_set_col_budget(old)


def _fused_vs_reference(case, dtype, bias=True, needs=(True, True, True), seed=0):
    n, c, co, h, w, k, stride, padding, dilation = case
    x = _data((n, c, h, w), dtype, seed)
    wt = _data((co, c) + k, dtype, seed + 1)
    b = _data((co,), dtype, seed + 2) if bias else None
    X = dc.tensor(x, requires_grad=needs[0])
    W = dc.tensor(wt, requires_grad=needs[1])
    B = dc.tensor(b, requires_grad=needs[2]) if bias else None
    out = _conv2d(X, W, B, stride, padding, dilation, 1, relu=True)
    ref = conv_ref(x, wt, b, stride, padding, dilation)
    assert_close(out, np.maximum(ref, 0), dtype=X.dtype, **TOL[dtype])
    g = _data(ref.shape, dtype, seed + 3)
    out.backward(dc.tensor(g))
    # The relu's gradient mask is our own output's sign (values within
    # rounding of 0 may fall on either side in float32).
    gm = np.where(out.detach().numpy() > 0, g, 0)
    gx, gw, gb = conv_grads_ref(x, wt, gm, stride, padding, dilation)
    for t, r, need in ((X, gx, needs[0]), (W, gw, needs[1]), (B, gb, needs[2])):
        if t is None:
            continue
        if need:
            assert_close(t.grad, r, **TOL[dtype])
        else:
            assert t.grad is None


@pytest.mark.parametrize("case", IMPLICIT)
def test_conv_relu_implicit_weight_grad(case, tiles):
    """The implicit weight gradient against the relu-masked gradient tile
    (its own row stride), with tiles of whole rows and tiles within rows."""
    _fused_vs_reference(case, "float64")
    _fused_vs_reference(case, "float32")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", GRID)
def test_conv_relu_forward_and_grads(case, dtype, tiles):
    _fused_vs_reference(case, dtype)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", [GRID[0], GRID[2], GRID[5], GRID[9]])
def test_conv_relu_threads_and_no_bias(case, threads, tiles):
    dc.set_num_threads(threads)
    _fused_vs_reference(case, "float64", bias=False)
    _fused_vs_reference(case, "float32", bias=True, seed=5)


@pytest.mark.parametrize("needs", [(False, False, True), (False, True, False),
                                   (True, False, False), (False, True, True)])
@pytest.mark.parametrize("case", [GRID[0], GRID[5]])
def test_conv_relu_grad_subsets(case, needs):
    # Bias alone runs the native bias-only path, which masks as it sums.
    _fused_vs_reference(case, "float64", needs=needs)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=(1, 2))])
def test_conv_relu_gradcheck(kw):
    x = leaf(_data((2, 2, 5, 6), "float64", 0))
    w = leaf(_data((3, 2, 3, 2), "float64", 1))
    b = leaf(_data((3,), "float64", 2))
    args = (kw.get("stride", 1), kw.get("padding", 0), kw.get("dilation", 1), 1)
    assert gradcheck(lambda x, w, b: _conv2d(x, w, b, *args, relu=True), (x, w, b))


def _sequential_and_separate(x, conv, relu_inplace=False):
    """(output, input grad, weight grad, bias grad) of Sequential(conv, ReLU)
    and of conv then F.relu, from the same parameters."""
    res = []
    for fused in (True, False):
        conv.zero_grad()
        X = dc.tensor(x, requires_grad=True)
        if fused:
            out = nn.Sequential(conv, nn.ReLU(inplace=relu_inplace))(X)
        else:
            out = F.relu(conv(X))
        out.backward(dc.tensor(np.linspace(-1, 1, out.numel()).reshape(out.shape)
                               .astype(x.dtype)))
        res.append((out.detach().numpy(), X.grad.numpy(), conv.weight.grad.numpy(),
                    conv.bias.grad.numpy()))
    return res


def _identical(a, b):
    """Equal values, NaN where the other has NaN, and the same sign of zero."""
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)
    assert np.array_equal(np.signbit(a), np.signbit(b))


@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sequential_matches_separate_ops_bit_for_bit(dtype, inplace):
    dc.manual_seed(0)
    conv = nn.Conv2d(3, 8, 3, padding=1, dtype=dc.float32 if dtype == np.float32 else dc.float64)
    x = _data((4, 3, 9, 7), dtype, 0)
    x[0, 0, 2, 3] = np.nan  # NaN reaches every output that reads it
    with dc.no_grad():
        conv.bias[1] = -50.0  # channel 1 all negative: zeros, and gradient 0
    fused, separate = _sequential_and_separate(x, conv, inplace)
    assert np.isnan(fused[0]).any()
    assert (np.nan_to_num(fused[0][:, 1]) == 0).all()
    for a, b in zip(fused, separate):
        _identical(a, b)


def test_negative_zero_becomes_positive_zero_as_relu():
    # With no input channels the output is the bias itself: -0.0 here.
    x = dc.zeros(1, 0, 2, 3, dtype=dc.float64)
    w = dc.zeros(2, 0, 1, 1, dtype=dc.float64)
    b = dc.tensor([-0.0, 1.0], dtype=dc.float64)
    conv = F.conv2d(x, w, b).numpy()
    assert np.signbit(conv[0, 0]).all()
    out = _conv2d(x, w, b, 1, 0, 1, 1, relu=True).numpy()
    _identical(out, F.relu(F.conv2d(x, w, b)).numpy())  # -0.0 -> 0.0, as PyTorch's relu
    assert not np.signbit(out).any()


def test_sequential_fuses_only_plain_conv_then_relu():
    dc.manual_seed(0)
    x = dc.randn(2, 1, 6, 6, requires_grad=True)

    def name(*modules):
        return nn.Sequential(*modules)(x).grad_fn.name()

    assert name(nn.Conv2d(1, 2, 3), nn.ReLU()) == "Conv2dReluBackward"
    assert name(nn.Conv2d(1, 2, 3), nn.ReLU(inplace=True)) == "Conv2dReluBackward"
    assert name(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv2d(2, 2, 1)) == "Conv2dBackward"
    assert name(nn.ReLU(), nn.Conv2d(1, 2, 3)) == "Conv2dBackward"
    assert name(nn.Conv2d(1, 2, 3), nn.Tanh()) == "TanhBackward"

    class MyConv(nn.Conv2d):  # user code in forward must run
        def forward(self, input):
            return super().forward(input) * 2.0

    assert name(MyConv(1, 2, 3), nn.ReLU()) == "ReluBackward"
    patched = nn.Conv2d(1, 2, 3)
    patched.forward = lambda input: F.conv2d(input, patched.weight) - 1.0
    assert name(patched, nn.ReLU()) == "ReluBackward"
    # Nested: the inner Sequential fuses its own pair.
    inner = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    assert name(nn.Sequential(inner, nn.Conv2d(2, 2, 1)), ) == "Conv2dBackward"
    assert name(inner) == "Conv2dReluBackward"


def test_sequential_fused_without_grad_and_empty_batch():
    dc.manual_seed(0)
    seq = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU())
    x = dc.randn(3, 2, 5, 5)
    with dc.no_grad():
        out = seq(x)
    assert out.grad_fn is None
    np.testing.assert_array_equal(out.numpy(), F.relu(seq[0](x)).detach().numpy())
    empty = seq(dc.randn(0, 2, 5, 5, requires_grad=True))
    assert empty.shape == (0, 3, 5, 5)
    empty.sum().backward()
    np.testing.assert_array_equal(seq[0].weight.grad.numpy(), 0)


def test_conv_relu_backward_checks_relu_output():
    x, w = dc.randn(2, 3, 5, 5), dc.randn(4, 3, 3, 3)
    g = dc.randn(2, 4, 3, 3)
    with pytest.raises(dc.ShapeError, match=r"conv2d: expected relu_output of shape "
                                            r"\(2, 4, 3, 3\) \(the output's\), got \(2, 4, 9\)"):
        _C.conv2d_backward(g._a, x._a, w._a, [1], [0], [1], True, True, True,
                           relu_output=dc.randn(2, 4, 9)._a)
    with pytest.raises(TypeError, match=r"conv2d: relu_output \(float64\) and input "
                                        r"\(float32\) must have the same dtype"):
        _C.conv2d_backward(g._a, x._a, w._a, [1], [0], [1], True, True, True,
                           relu_output=g.double()._a)
