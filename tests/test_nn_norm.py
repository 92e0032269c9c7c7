"""Batch norm: forward against float64 numpy in train and eval modes, running
statistics against a hand computation, gradcheck for input, weight and bias,
errors, BatchNorm1d/2d modules (buffers, state_dict, modes)."""
import numpy as np
import pytest

import deepcore as dc
import deepcore.nn.functional as F
from deepcore.autograd import gradcheck
from conftest import assert_close, leaf

SHAPES = [(8, 3), (4, 3, 5), (2, 3, 4, 4), (5, 1), (3, 2, 1), (2, 300), (2, 600, 3)]


def rng(seed):
    return np.random.default_rng(seed)


def axes(shape):
    return (0,) + tuple(range(2, len(shape)))


def bshape(shape):
    return (1, shape[1]) + (1,) * (len(shape) - 2)


def ref_batch_norm(x, mean, var, w, b, eps):
    s = bshape(x.shape)
    y = (x - mean.reshape(s)) / np.sqrt(var.reshape(s) + eps)
    if w is not None:
        y = y * w.reshape(s)
    if b is not None:
        y = y + b.reshape(s)
    return y


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_training_forward_and_running_stats(shape, affine, dtype):
    r = rng(1)
    x = r.uniform(-2, 3, size=shape) + 5.0  # a mean far from 0 (shifted sums)
    C = shape[1]
    w = r.uniform(0.5, 2, size=C) if affine else None
    b = r.uniform(-1, 1, size=C) if affine else None
    rm0, rv0 = r.uniform(-1, 1, size=C), r.uniform(0.5, 2, size=C)
    npd = np.dtype(dtype)
    rm, rv = dc.tensor(rm0.astype(npd)), dc.tensor(rv0.astype(npd))
    y = F.batch_norm(dc.tensor(x.astype(npd)), rm, rv,
                     None if w is None else dc.tensor(w.astype(npd)),
                     None if b is None else dc.tensor(b.astype(npd)), training=True,
                     momentum=0.3, eps=1e-4)
    mean = x.mean(axis=axes(shape))
    var = x.var(axis=axes(shape))
    n = x.size // C
    tol = dict(rtol=1e-5, atol=2e-5) if dtype == "float32" else dict(rtol=1e-11, atol=1e-12)
    assert_close(y, ref_batch_norm(x, mean, var, w, b, 1e-4), **tol)
    # running = (1 - momentum) running + momentum batch, with the unbiased variance
    assert_close(rm, 0.7 * rm0 + 0.3 * mean, **tol)
    assert_close(rv, 0.7 * rv0 + 0.3 * var * n / (n - 1), **tol)


@pytest.mark.parametrize("shape", SHAPES)
def test_eval_uses_running_stats(shape):
    r = rng(2)
    x = r.uniform(-2, 2, size=shape)
    C = shape[1]
    rm, rv = r.uniform(-1, 1, size=C), r.uniform(0.5, 2, size=C)
    w, b = r.uniform(0.5, 2, size=C), r.uniform(-1, 1, size=C)
    trm, trv = dc.tensor(rm), dc.tensor(rv)
    y = F.batch_norm(dc.tensor(x), trm, trv, dc.tensor(w), dc.tensor(b), training=False)
    assert_close(y, ref_batch_norm(x, rm, rv, w, b, 1e-5), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(trm.numpy(), rm)  # untouched in eval
    np.testing.assert_array_equal(trv.numpy(), rv)


def test_without_running_stats_and_noncontiguous():
    x = rng(3).uniform(-2, 2, size=(6, 4))
    t = dc.tensor(np.ascontiguousarray(x.T)).transpose(0, 1)
    assert not t.is_contiguous()
    y = F.batch_norm(t, None, None, training=True)
    assert_close(y, ref_batch_norm(x, x.mean(0), x.var(0), None, None, 1e-5), rtol=1e-12,
                 atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 3), (3, 2, 4), (2, 3, 2, 2), (2, 1, 3)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_gradcheck(shape, training, affine):
    r = rng(4)
    C = shape[1]
    x = leaf(r.uniform(-2, 2, size=shape))
    w = leaf(r.uniform(0.5, 2, size=C)) if affine else None
    b = leaf(r.uniform(-1, 1, size=C)) if affine else None
    rm, rv = dc.tensor(r.uniform(-1, 1, size=C)), dc.tensor(r.uniform(0.5, 2, size=C))
    # weighted outputs, so that the sum-to-zero structure of normalised values
    # does not hide errors
    g = dc.tensor(r.uniform(-1, 1, size=shape))
    inputs = (x, w, b) if affine else (x,)

    def f(*args):
        xx, ww, bb = (args + (None, None))[:3]
        return F.batch_norm(xx, None if training else rm, None if training else rv, ww, bb,
                            training=training) * g
    assert gradcheck(f, inputs)


def test_backward_formula_large():
    # (N, C, L) with L > 1 and (N, C) with C > 256: the kernels' paths, against numpy.
    for shape in [(4, 3, 50), (16, 300)]:
        r = rng(5)
        a = r.uniform(-2, 2, size=shape)
        C = shape[1]
        wv = r.uniform(0.5, 2, size=C)
        x, w, b = leaf(a), leaf(wv), leaf(r.uniform(-1, 1, size=C))
        gy = r.uniform(-1, 1, size=shape)
        F.batch_norm(x, None, None, w, b, training=True, eps=1e-3).backward(dc.tensor(gy))
        ax, s = axes(shape), bshape(shape)
        n = a.size // C
        mean, var = a.mean(axis=ax), a.var(axis=ax)
        xhat = (a - mean.reshape(s)) / np.sqrt(var.reshape(s) + 1e-3)
        gb = gy.sum(axis=ax)
        gw = (gy * xhat).sum(axis=ax)
        gx = (wv / np.sqrt(var + 1e-3)).reshape(s) / n * (
            n * gy - gb.reshape(s) - xhat * gw.reshape(s))
        np.testing.assert_allclose(b.grad.numpy(), gb, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(w.grad.numpy(), gw, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(x.grad.numpy(), gx, rtol=1e-10, atol=1e-12)


def test_threads_agree():
    x = dc.tensor(rng(6).uniform(-2, 2, size=(32, 16, 20, 20)).astype(np.float32),
                  requires_grad=True)
    g = dc.tensor(rng(7).uniform(-1, 1, size=(32, 16, 20, 20)).astype(np.float32))
    w = dc.ones(16, requires_grad=True)
    res = []
    for n in (1, 2):
        dc.set_num_threads(n)
        x.grad = w.grad = None
        y = F.batch_norm(x, None, None, w, None, training=True)
        y.backward(g)
        res.append((y.detach().numpy(), x.grad.numpy(), w.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_array_equal(a, b)


def test_errors():
    x = dc.zeros(4, 3)
    with pytest.raises(dc.ShapeError, match=r"batch_norm: weight should contain 3 elements"):
        F.batch_norm(x, None, None, dc.ones(5), training=True)
    with pytest.raises(dc.ShapeError, match=r"running_mean should contain 3 elements .* got "
                                            r"shape \(5,\)"):
        F.batch_norm(x, dc.zeros(5), dc.ones(5), training=True)
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when "
                                         r"training, got input size \(1, 3\)"):
        F.batch_norm(dc.zeros(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(dc.zeros(1, 3, 1, 1), None, None, training=True)
    F.batch_norm(dc.zeros(1, 3), dc.zeros(3), dc.ones(3), training=False)  # fine in eval
    with pytest.raises(RuntimeError, match="must be given in evaluation mode"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match="must be given together"):
        F.batch_norm(x, dc.zeros(3), None, training=True)
    with pytest.raises(dc.ShapeError, match=r"expected input of shape \(N, C\)"):
        F.batch_norm(dc.zeros(3), None, None, training=True)
    with pytest.raises(TypeError, match="weight has dtype float64 but the input has dtype float32"):
        F.batch_norm(x, None, None, dc.ones(3, dtype=dc.float64), training=True)
    with pytest.raises(TypeError, match="expected a floating point tensor"):
        F.batch_norm(dc.zeros(4, 3, dtype=dc.int64), None, None, training=True)
    with pytest.raises(RuntimeError, match="running_mean must not require grad"):
        F.batch_norm(x, dc.zeros(3, requires_grad=True), dc.ones(3), training=True)


# ---------------------------------------------------------------- modules
def test_batchnorm2d_module_train_eval_and_state_dict():
    bn = dc.nn.BatchNorm2d(3, momentum=0.2)
    assert repr(bn) == ("BatchNorm2d(3, eps=1e-05, momentum=0.2, affine=True, "
                        "track_running_stats=True)")
    sd = bn.state_dict()
    assert list(sd) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert sd["num_batches_tracked"].dtype == dc.int64 and sd["num_batches_tracked"].item() == 0
    np.testing.assert_array_equal(bn.weight.detach().numpy(), np.ones(3, np.float32))
    np.testing.assert_array_equal(bn.bias.detach().numpy(), np.zeros(3, np.float32))
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]

    r = rng(8)
    xs = [r.uniform(-1, 3, size=(4, 3, 5, 5)).astype(np.float32) for _ in range(3)]
    rm, rv = np.zeros(3), np.ones(3)
    for x in xs:
        y = bn(dc.tensor(x))
        m, v = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
        assert_close(y, ref_batch_norm(x.astype(np.float64), m, v, None, None, 1e-5),
                     rtol=1e-5, atol=2e-5)
        rm = 0.8 * rm + 0.2 * m
        rv = 0.8 * rv + 0.2 * v * 100 / 99
    assert bn.num_batches_tracked.item() == 3
    assert_close(bn.running_mean, rm, rtol=1e-5, atol=1e-6)
    assert_close(bn.running_var, rv, rtol=1e-5, atol=1e-6)

    bn.eval()
    x = xs[0]
    assert_close(bn(dc.tensor(x)), ref_batch_norm(x.astype(np.float64), rm, rv, None, None, 1e-5),
                 rtol=1e-5, atol=2e-5)
    assert bn.num_batches_tracked.item() == 3  # eval does not count batches

    # state_dict round trip into a fresh module
    bn2 = dc.nn.BatchNorm2d(3)
    bn2.load_state_dict(bn.state_dict())
    bn2.eval()
    np.testing.assert_array_equal(bn2(dc.tensor(x)).detach().numpy(),
                                  bn(dc.tensor(x)).detach().numpy())
    assert bn2.num_batches_tracked.item() == 3


def test_batchnorm_module_options():
    x = dc.tensor(rng(9).uniform(-1, 1, size=(6, 4)))
    bn = dc.nn.BatchNorm1d(4, affine=False, track_running_stats=False, dtype=dc.float64)
    assert list(bn.parameters()) == [] and bn.state_dict() == {}
    bn.eval()  # no running stats: batch statistics even in eval
    a = x.numpy()
    assert_close(bn(x), ref_batch_norm(a, a.mean(0), a.var(0), None, None, 1e-5), rtol=1e-12)
    # momentum=None: the running stats are the cumulative average of the batches
    bn = dc.nn.BatchNorm1d(4, momentum=None, dtype=dc.float64)
    batches = [rng(10 + i).uniform(-1, 1, size=(5, 4)) for i in range(3)]
    for b in batches:
        bn(dc.tensor(b))
    assert_close(bn.running_mean, np.mean([b.mean(0) for b in batches], axis=0), rtol=1e-12)
    assert_close(bn.running_var, np.mean([b.var(0, ddof=1) for b in batches], axis=0), rtol=1e-12)
    # (N, C, L) input for BatchNorm1d
    y = dc.nn.BatchNorm1d(4)(dc.randn(3, 4, 7))
    assert y.shape == (3, 4, 7)
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        dc.nn.BatchNorm1d(4)(dc.randn(2, 4, 3, 3))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 2D input\)"):
        dc.nn.BatchNorm2d(4)(dc.randn(2, 4))
    with pytest.raises(dc.ShapeError, match=r"running_mean should contain 3 elements .* got shape \(4,\)"):
        dc.nn.BatchNorm2d(4)(dc.randn(2, 3, 2, 2))
    with pytest.raises(ValueError, match="num_features"):
        dc.nn.BatchNorm1d(0)


def test_batchnorm_module_trains():
    bn = dc.nn.BatchNorm1d(3, dtype=dc.float64)
    x = dc.tensor(rng(11).uniform(-1, 1, size=(8, 3)))
    (bn(x) * dc.tensor([1.0, 2.0, 3.0], dtype=dc.float64)).sum().backward()
    np.testing.assert_allclose(bn.bias.grad.numpy(), [8, 16, 24])
    assert bn.weight.grad is not None


def test_against_torch():
    torch = pytest.importorskip("torch")
    r = rng(12)
    x = r.uniform(-1, 2, size=(4, 3, 5, 5))
    ours = dc.nn.BatchNorm2d(3, momentum=0.3, dtype=dc.float64)
    theirs = torch.nn.BatchNorm2d(3, momentum=0.3).double()
    for _ in range(2):
        xo = leaf(x)
        xt = torch.tensor(x, requires_grad=True)
        g = r.uniform(-1, 1, size=x.shape)
        yo, yt = ours(xo), theirs(xt)
        yo.backward(dc.tensor(g))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-12,
                                   atol=1e-12)
        np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(),
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy(),
                                   rtol=1e-12)
        np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(),
                                   rtol=1e-12)
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(dc.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12, atol=1e-12)


def test_no_crash_sweep():
    from test_no_crash import call, odd_tensors
    odd = list(odd_tensors().values()) + [dc.zeros(3), dc.ones(3, dtype=dc.float64)]
    for x in odd:
        for v in odd:
            for training in (True, False):
                call(F.batch_norm, x, v, v, v, v, training)
                call(F.batch_norm, x, None, None, v, None, training)
            for g in odd[:6]:
                call(dc._C.batch_norm_backward, g._a, x._a, None, v._a, v._a, True, True, True,
                     True)
