"""Losses: forward against hand-written float64 formulas (reductions, weights,
ignore_index, label smoothing, probability and spatial targets), backward by
gradcheck, errors, modules; PyTorch as an optional exact reference."""
import numpy as np
import pytest

import deepcore as dc
import deepcore.nn.functional as F
from deepcore.autograd import gradcheck
from conftest import assert_close, available_isas, leaf

REDUCTIONS = ["mean", "sum", "none"]


def rng(seed):
    return np.random.default_rng(seed)


def logsumexp(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def ref_cross_entropy(x, t, weight=None, ignore_index=-100, ls=0.0, reduction="mean"):
    """PyTorch's formula, in float64: class-index or probability targets."""
    x = x.astype(np.float64)
    cdim = 0 if x.ndim == 1 else 1
    C = x.shape[cdim]
    logp = x - logsumexp(x, cdim)
    wshape = [1] * x.ndim
    wshape[cdim] = C
    w = np.ones(C) if weight is None else weight.astype(np.float64)
    wb = w.reshape(wshape)
    if t.dtype.kind == "f":  # probabilities
        tp = t.astype(np.float64) * (1 - ls) + ls / C
        loss = -(wb * tp * logp).sum(axis=cdim)
        if reduction == "none":
            return loss
        return loss.sum() / (loss.size if reduction == "mean" else 1)
    valid = t != ignore_index
    tc = np.where(valid, t, 0)
    picked = np.take_along_axis(logp, np.expand_dims(tc, cdim), cdim).squeeze(cdim)
    wt = w[tc] * valid
    nll = -wt * picked
    smooth = -(wb * logp).sum(axis=cdim) * valid
    loss = (1 - ls) * nll + ls / C * smooth
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / wt.sum()


def class_problem(shape, seed, ignore=False, C=None):
    """Logits of `shape` (class dim 1, or 0 for 1-D) and int64 targets."""
    r = rng(seed)
    x = r.uniform(-3, 3, size=shape)
    cdim = 0 if len(shape) == 1 else 1
    C = shape[cdim]
    tshape = () if len(shape) == 1 else shape[:1] + shape[2:]
    t = r.integers(0, C, size=tshape).astype(np.int64)
    if ignore and t.size > 1:
        t.reshape(-1)[::3] = -100
    return x, t


CE_SHAPES = [(6, 5), (5,), (4, 3, 2), (3, 4, 2, 3), (2, 4, 300), (1, 1), (8, 257)]


# ---------------------------------------------------------------- cross-entropy forward
@pytest.mark.parametrize("shape", CE_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.1])
@pytest.mark.parametrize("ignore", [False, True])
def test_cross_entropy_class_targets(shape, reduction, weighted, ls, ignore):
    x, t = class_problem(shape, 1, ignore)
    C = shape[0 if len(shape) == 1 else 1]
    w = rng(2).uniform(0.5, 2.0, size=C) if weighted else None
    want = ref_cross_entropy(x, t, w, -100, ls, reduction)
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 2e-5)):
        out = F.cross_entropy(dc.tensor(x.astype(dtype)), dc.tensor(t),
                              weight=None if w is None else dc.tensor(w.astype(dtype)),
                              reduction=reduction, label_smoothing=ls)
        assert out.dtype == (dc.float64 if dtype == np.float64 else dc.float32)
        assert_close(out, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("shape", CE_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.2])
def test_cross_entropy_probability_targets(shape, reduction, weighted, ls):
    r = rng(3)
    x = r.uniform(-3, 3, size=shape)
    cdim = 0 if len(shape) == 1 else 1
    p = r.uniform(0, 1, size=shape)
    p /= p.sum(axis=cdim, keepdims=True)
    w = r.uniform(0.5, 2.0, size=shape[cdim]) if weighted else None
    out = F.cross_entropy(dc.tensor(x), dc.tensor(p), None if w is None else dc.tensor(w),
                          reduction=reduction, label_smoothing=ls)
    assert_close(out, ref_cross_entropy(x, p, w, ls=ls, reduction=reduction), rtol=1e-12,
                 atol=1e-12)


def test_label_smoothing_by_hand():
    # One row, C = 3, target 0, smoothing 0.3: the float64 formula written out.
    x = np.array([[2.0, -1.0, 0.5]])
    lse = np.log(np.exp(x).sum())
    nll = lse - x[0, 0]
    smooth = (lse - x[0]).sum()
    want = 0.7 * nll + 0.3 / 3 * smooth
    out = F.cross_entropy(dc.tensor(x), dc.tensor([0]), label_smoothing=0.3)
    assert abs(out.item() - want) < 1e-14
    # ... and equals cross-entropy against the smoothed one-hot distribution.
    soft = np.array([[0.7 + 0.1, 0.1, 0.1]])
    assert abs(F.cross_entropy(dc.tensor(x), dc.tensor(soft)).item() - want) < 1e-14


def test_cross_entropy_extreme_logits():
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0], [0.0, 0.0, 1000.0]])
    t = np.array([0, 0, 1])
    for dtype in (np.float32, np.float64):
        xl = dc.tensor(x.astype(dtype), requires_grad=True)
        loss = F.cross_entropy(xl, dc.tensor(t), reduction="none")
        np.testing.assert_allclose(loss.detach().numpy(), [0.0, 2000.0, 1000.0], rtol=1e-6)
        loss.sum().backward()
        g = xl.grad.numpy()
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g, [[0, 0, 0], [-1, 1, 0], [0, -1, 1]], atol=1e-6)


def test_cross_entropy_empty_and_all_ignored():
    x = dc.zeros(0, 4)
    t = dc.zeros(0, dtype=dc.int64)
    assert np.isnan(F.cross_entropy(x, t).item())
    assert F.cross_entropy(x, t, reduction="sum").item() == 0.0
    assert F.cross_entropy(x, t, reduction="none").shape == (0,)
    xl = leaf(rng(4).uniform(size=(3, 4)))
    t = dc.tensor([-100, -100, -100])
    loss = F.cross_entropy(xl, t)
    assert np.isnan(loss.item())  # 0 / 0, as PyTorch
    F.cross_entropy(xl, t, reduction="sum").backward()
    np.testing.assert_array_equal(xl.grad.numpy(), np.zeros((3, 4)))


def test_cross_entropy_noncontiguous_and_ignore_in_range():
    x, t = class_problem((5, 4), 5)
    xt = dc.tensor(np.ascontiguousarray(x.T)).transpose(0, 1)
    assert not xt.is_contiguous()
    assert_close(F.cross_entropy(xt, dc.tensor(t)), ref_cross_entropy(x, t), rtol=1e-12)
    # ignore_index may be a valid class: those rows are skipped
    assert_close(F.cross_entropy(dc.tensor(x), dc.tensor(t), ignore_index=2),
                 ref_cross_entropy(x, t, ignore_index=2), rtol=1e-12)


def test_cross_entropy_equals_nll_of_log_softmax():
    x, t = class_problem((4, 6, 3), 6, ignore=True)
    w = dc.tensor(rng(7).uniform(0.5, 2, size=6))
    a = F.cross_entropy(dc.tensor(x), dc.tensor(t), w)
    b = F.nll_loss(F.log_softmax(dc.tensor(x), 1), dc.tensor(t), w)
    assert abs(a.item() - b.item()) < 1e-13


def test_cross_entropy_threads_agree():
    x, t = class_problem((512, 100), 8)
    xs, ts = class_problem((16, 10, 40, 40), 9)
    res = []
    for n in (1, 2):
        dc.set_num_threads(n)
        xl = dc.tensor(x.astype(np.float32), requires_grad=True)
        loss = F.cross_entropy(xl, dc.tensor(t), label_smoothing=0.1)
        loss.backward()
        ls = F.cross_entropy(dc.tensor(xs.astype(np.float32)), dc.tensor(ts), reduction="sum")
        res.append((loss.item(), xl.grad.numpy(), ls.item()))
    assert res[0][0] == res[1][0] and res[0][2] == res[1][2]
    np.testing.assert_array_equal(res[0][1], res[1][1])


# ---------------------------------------------------------------- cross-entropy backward
@pytest.mark.parametrize("shape", [(4, 3), (3,), (3, 4, 2), (2, 3, 2, 2)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.15])
def test_cross_entropy_gradcheck_class(shape, reduction, weighted, ls):
    x, t = class_problem(shape, 10, ignore=True)
    C = shape[0 if len(shape) == 1 else 1]
    w = dc.tensor(rng(11).uniform(0.5, 2.0, size=C)) if weighted else None
    tt = dc.tensor(t)
    assert gradcheck(lambda a: F.cross_entropy(a, tt, w, reduction=reduction, label_smoothing=ls),
                     (leaf(x),))


@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 3, 2)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.15])
def test_cross_entropy_gradcheck_probabilities(shape, reduction, weighted, ls):
    r = rng(12)
    cdim = 0 if len(shape) == 1 else 1
    p = r.uniform(0, 1, size=shape)
    p /= p.sum(axis=cdim, keepdims=True)
    w = dc.tensor(r.uniform(0.5, 2.0, size=shape[cdim])) if weighted else None
    x = leaf(r.uniform(-2, 2, size=shape))
    # gradients with respect to the logits and to the target distribution
    assert gradcheck(lambda a, b: F.cross_entropy(a, b, w, reduction=reduction,
                                                  label_smoothing=ls), (x, leaf(p)))


def test_cross_entropy_backward_is_softmax_minus_target():
    x, t = class_problem((5, 7), 13)
    xl = leaf(x)
    F.cross_entropy(xl, dc.tensor(t), reduction="sum").backward()
    sm = np.exp(x - logsumexp(x, 1))
    np.testing.assert_allclose(xl.grad.numpy(), sm - np.eye(7)[t], rtol=1e-13, atol=1e-15)


def test_cross_entropy_tile_path_backward():
    # D > 256 positions per image: the tiled kernels, against the formula.
    x, t = class_problem((2, 5, 300), 14, ignore=True)
    w = rng(15).uniform(0.5, 2, size=5)
    xl = leaf(x)
    F.cross_entropy(xl, dc.tensor(t), dc.tensor(w), reduction="sum",
                    label_smoothing=0.1).backward()
    sm = np.exp(x - logsumexp(x, 1))
    valid = (t != -100)
    tc = np.where(valid, t, 0)
    onehot = np.moveaxis(np.eye(5)[tc], -1, 1)
    wt = w[tc][:, None, :]
    A = 0.9 * wt + 0.1 / 5 * w.sum()
    want = (sm * A - 0.9 * wt * onehot - 0.1 / 5 * w[None, :, None]) * valid[:, None, :]
    np.testing.assert_allclose(xl.grad.numpy(), want, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------- cross-entropy errors
def test_cross_entropy_errors():
    x = dc.zeros(4, 10)
    with pytest.raises(IndexError, match="cross_entropy: target 12 out of range for 10 classes"):
        F.cross_entropy(x, dc.tensor([1, 12, 3, 4]))
    with pytest.raises(IndexError, match="cross_entropy: target -1 out of range for 10 classes"):
        F.cross_entropy(x, dc.tensor([1, -1, 3, 4]))
    with pytest.raises(dc.ShapeError, match=r"cross_entropy: expected target of shape \(4,\) "
                                            r"for logits of shape \(4, 10\), got \(3,\)"):
        F.cross_entropy(x, dc.tensor([1, 2, 3]))
    with pytest.raises(dc.ShapeError, match=r"probability target of shape \(4, 9\) does not "
                                            r"match logits of shape \(4, 10\)"):
        F.cross_entropy(x, dc.zeros(4, 9))
    with pytest.raises(TypeError, match="int64"):
        F.cross_entropy(x, dc.tensor([True, False, True, True]))
    with pytest.raises(TypeError, match="target has dtype float64 but logits has dtype float32"):
        F.cross_entropy(x, dc.zeros(4, 10, dtype=dc.float64))
    with pytest.raises(dc.ShapeError, match=r"weight should have 10 elements \(one per class\), "
                                            r"got shape \(5,\)"):
        F.cross_entropy(x, dc.tensor([1, 2, 3, 4]), weight=dc.ones(5))
    with pytest.raises(TypeError, match="weight has dtype float64"):
        F.cross_entropy(x, dc.tensor([1, 2, 3, 4]), weight=dc.ones(10, dtype=dc.float64))
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0, got 1.5"):
        F.cross_entropy(x, dc.tensor([1, 2, 3, 4]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction"):
        F.cross_entropy(x, dc.tensor([1, 2, 3, 4]), reduction="avg")
    with pytest.raises(ValueError, match="ignore_index is not supported for probability"):
        F.cross_entropy(x, dc.zeros(4, 10), ignore_index=0)
    with pytest.raises(dc.ShapeError, match="got a 0-d tensor"):
        F.cross_entropy(dc.zeros(()), dc.tensor(0))
    with pytest.raises(TypeError, match="expected a floating point tensor"):
        F.cross_entropy(dc.zeros(4, 10, dtype=dc.int64), dc.tensor([1, 2, 3, 4]))
    with pytest.raises(TypeError, match="expected target to be a Tensor"):
        F.cross_entropy(x, [1, 2, 3, 4])
    with pytest.raises(NotImplementedError, match="derivative with respect to weight"):
        F.cross_entropy(x, dc.tensor([1, 2, 3, 4]), weight=dc.ones(10, requires_grad=True))


# ---------------------------------------------------------------- nll
def ref_nll(x, t, w=None, ignore_index=-100, reduction="mean"):
    cdim = 0 if x.ndim == 1 else 1
    valid = t != ignore_index
    tc = np.where(valid, t, 0)
    w = np.ones(x.shape[cdim]) if w is None else w
    picked = np.take_along_axis(x, np.expand_dims(tc, cdim), cdim).squeeze(cdim)
    wt = w[tc] * valid
    loss = -wt * picked
    if reduction == "none":
        return loss
    return loss.sum() / (wt.sum() if reduction == "mean" else 1)


@pytest.mark.parametrize("shape", [(5, 4), (4,), (3, 4, 2), (2, 3, 2, 2)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(shape, reduction, weighted):
    x, t = class_problem(shape, 16, ignore=True)
    C = shape[0 if len(shape) == 1 else 1]
    w = rng(17).uniform(0.5, 2, size=C) if weighted else None
    wt = None if w is None else dc.tensor(w)
    out = F.nll_loss(dc.tensor(x), dc.tensor(t), wt, reduction=reduction)
    assert_close(out, ref_nll(x, t, w, reduction=reduction), rtol=1e-13, atol=1e-14)
    tt = dc.tensor(t)
    assert gradcheck(lambda a: F.nll_loss(a, tt, wt, reduction=reduction), (leaf(x),))


def test_nll_loss_errors():
    with pytest.raises(IndexError, match="nll_loss: target 5 out of range for 5 classes"):
        F.nll_loss(dc.zeros(2, 5), dc.tensor([0, 5]))
    with pytest.raises(dc.ShapeError, match=r"nll_loss: expected target of shape \(2, 3\)"):
        F.nll_loss(dc.zeros(2, 5, 3), dc.tensor([0, 1]))
    with pytest.raises(TypeError, match="nll_loss: expected a target of dtype int64"):
        F.nll_loss(dc.zeros(2, 5), dc.zeros(2, 5))


# ---------------------------------------------------------------- multi-margin
def ref_multi_margin(x, t, p=1, margin=1.0, w=None, reduction="mean"):
    x2 = x.reshape(-1, x.shape[-1])
    t2 = np.asarray(t).reshape(-1)
    C = x2.shape[1]
    w = np.ones(C) if w is None else w
    out = []
    for xi, ti in zip(x2, t2):
        z = margin - xi[ti] + xi
        z[ti] = 0
        h = np.maximum(z, 0) ** p
        out.append((w[ti] * h).sum() / C)
    out = np.array(out).reshape(np.asarray(t).shape)
    if reduction == "none":
        return out
    return out.sum() / (out.size if reduction == "mean" else 1)


@pytest.mark.parametrize("shape", [(6, 5), (5,)])
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("margin", [1.0, 0.5])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_loss(shape, p, margin, weighted, reduction):
    r = rng(18)
    # a grid of 1/8 plus 0.01 * class keeps z = margin - x[t] + x[j] away from the
    # hinge's kink at 0 (by >= 0.01), for gradcheck
    C = shape[-1]
    x = r.integers(-16, 16, size=shape) / 8 + 0.01 * np.arange(C)
    t = r.integers(0, C, size=shape[:-1]).astype(np.int64)
    w = r.uniform(0.5, 2, size=C) if weighted else None
    wt = None if w is None else dc.tensor(w)
    out = F.multi_margin_loss(dc.tensor(x), dc.tensor(t), p, margin, wt, reduction=reduction)
    assert_close(out, ref_multi_margin(x, t, p, margin, w, reduction), rtol=1e-13, atol=1e-14)
    tt = dc.tensor(t)
    assert gradcheck(lambda a: F.multi_margin_loss(a, tt, p, margin, wt, reduction=reduction),
                     (leaf(x),))


def test_multi_margin_errors():
    with pytest.raises(ValueError, match="only p == 1 and p == 2 are supported, got 3"):
        F.multi_margin_loss(dc.zeros(2, 3), dc.tensor([0, 1]), p=3)
    with pytest.raises(IndexError, match="multi_margin_loss: target 3 out of range for 3 classes"):
        F.multi_margin_loss(dc.zeros(2, 3), dc.tensor([0, 3]))
    with pytest.raises(IndexError, match="target -100 out of range"):
        F.multi_margin_loss(dc.zeros(2, 3), dc.tensor([0, -100]))
    with pytest.raises(dc.ShapeError, match=r"expected input of shape \(C,\) or \(N, C\)"):
        F.multi_margin_loss(dc.zeros(2, 3, 4), dc.tensor([[0] * 4] * 2))


# ---------------------------------------------------------------- elementwise losses
def ref_pointwise(name, x, y, w=None, pw=None, reduction="mean"):
    if name == "mse_loss":
        loss = (x - y) ** 2
    elif name == "l1_loss":
        loss = np.abs(x - y)
    elif name == "binary_cross_entropy":
        loss = -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log1p(-x), -100))
    else:
        pw = 1.0 if pw is None else pw
        log_sig = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
        loss = (1 - y) * x - (1 + (pw - 1) * y) * log_sig
    if w is not None:
        loss = loss * w
    if reduction == "none":
        return loss
    return loss.sum() / (loss.size if reduction == "mean" else 1)


def pointwise_inputs(name, shape, seed):
    x, y = _pointwise_inputs(name, shape, seed)
    return np.asarray(x), np.asarray(y)  # numpy scalars would become float32 tensors


def _pointwise_inputs(name, shape, seed):
    r = rng(seed)
    if name == "binary_cross_entropy":
        return r.uniform(0.05, 0.95, size=shape), r.uniform(0, 1, size=shape)
    if name == "binary_cross_entropy_with_logits":
        return r.uniform(-4, 4, size=shape), r.uniform(0, 1, size=shape)
    x = r.uniform(-2, 2, size=shape)
    y = x + r.choice([-1, 1], size=shape) * r.uniform(0.1, 1, size=shape)  # no |x - y| kinks
    return x, y


POINTWISE = ["mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"]


@pytest.mark.parametrize("name", POINTWISE)
@pytest.mark.parametrize("shape", [(4, 3), (5,), (), (2, 3, 2)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pointwise_losses(name, shape, reduction):
    x, y = pointwise_inputs(name, shape, 19)
    fn = getattr(F, name)
    for dtype, tol in ((np.float64, 1e-13), (np.float32, 2e-6)):
        out = fn(dc.tensor(x.astype(dtype)), dc.tensor(y.astype(dtype)), reduction=reduction)
        assert_close(out, ref_pointwise(name, x, y, reduction=reduction), rtol=tol, atol=tol)
    # gradients with respect to input and target
    assert gradcheck(lambda a, b: fn(a, b, reduction=reduction), (leaf(x), leaf(y)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_weights(reduction):
    x, y = pointwise_inputs("binary_cross_entropy", (4, 3), 20)
    w = rng(21).uniform(0.5, 2, size=(3,))
    out = F.binary_cross_entropy(dc.tensor(x), dc.tensor(y), dc.tensor(w), reduction=reduction)
    assert_close(out, ref_pointwise("binary_cross_entropy", x, y, w, reduction=reduction),
                 rtol=1e-13, atol=1e-14)
    wt = dc.tensor(w)
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b, wt, reduction=reduction),
                     (leaf(x), leaf(y)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_weights(reduction):
    x, y = pointwise_inputs("binary_cross_entropy_with_logits", (4, 3), 22)
    w = rng(23).uniform(0.5, 2, size=(4, 1))
    pw = rng(24).uniform(0.5, 3, size=(3,))
    out = F.binary_cross_entropy_with_logits(dc.tensor(x), dc.tensor(y), dc.tensor(w),
                                             reduction=reduction, pos_weight=dc.tensor(pw))
    assert_close(out, ref_pointwise("bce_logits", x, y, w, pw, reduction), rtol=1e-13, atol=1e-14)
    wt, pwt = dc.tensor(w), dc.tensor(pw)
    assert gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(
        a, b, wt, reduction=reduction, pos_weight=pwt), (leaf(x), leaf(y)))


def test_bce_with_logits_is_stable():
    x = np.array([1000.0, -1000.0, 0.0, 50.0, -50.0])
    y = np.array([1.0, 0.0, 0.5, 0.0, 1.0])
    for dtype in (np.float32, np.float64):
        xl = dc.tensor(x.astype(dtype), requires_grad=True)
        loss = F.binary_cross_entropy_with_logits(xl, dc.tensor(y.astype(dtype)), reduction="none")
        np.testing.assert_allclose(loss.detach().numpy(), [0, 0, np.log(2), 50, 50], rtol=1e-6,
                                   atol=1e-30)
        loss.sum().backward()
        np.testing.assert_allclose(xl.grad.numpy(), [0, 0, 0, 1, -1], atol=1e-7)


def test_bce_clamps_log_at_minus_100():
    x = dc.tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    y = dc.tensor([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(x, y, reduction="none")
    np.testing.assert_array_equal(loss.detach().numpy(), [100, 100, 0, 0])
    loss.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_pointwise_loss_noncontiguous_and_broadcast_grad():
    x = rng(25).uniform(-1, 1, size=(4, 5))
    y = rng(26).uniform(-1, 1, size=(4, 5))
    xt = dc.tensor(np.ascontiguousarray(x.T), requires_grad=True)
    out = F.mse_loss(xt.transpose(0, 1), dc.tensor(y))
    assert abs(out.item() - ((x - y) ** 2).mean()) < 1e-14
    out.backward()
    np.testing.assert_allclose(xt.grad.numpy(), (2 * (x - y) / 20).T, rtol=1e-13)


def test_pointwise_loss_errors():
    a, b = dc.zeros(3), dc.zeros(3, 1)
    for name in POINTWISE:
        with pytest.raises(dc.ShapeError, match=rf"{name}: input of shape \(3,\) and target of "
                                                r"shape \(3, 1\) must have the same shape"):
            getattr(F, name)(a, b)
        with pytest.raises(ValueError):  # ShapeError is a ValueError (PyTorch raises one for bce)
            getattr(F, name)(a, b)
        with pytest.raises(TypeError, match="target has dtype float64"):
            getattr(F, name)(a, dc.zeros(3, dtype=dc.float64))
        with pytest.raises(TypeError, match="expected a floating point tensor"):
            getattr(F, name)(dc.zeros(3, dtype=dc.int64), dc.zeros(3, dtype=dc.int64))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(dc.tensor([0.5, 1.5]), dc.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="between 0 and 1, got nan"):
        F.binary_cross_entropy(dc.tensor([0.5, float("nan")]), dc.tensor([0.0, 1.0]))
    with pytest.raises(dc.ShapeError, match=r"weight of shape \(4,\) cannot be broadcast"):
        F.binary_cross_entropy(dc.zeros(2, 3), dc.zeros(2, 3), weight=dc.ones(4))
    with pytest.raises(dc.ShapeError, match=r"pos_weight of shape \(2,\) cannot be broadcast"):
        F.binary_cross_entropy_with_logits(dc.zeros(2, 3), dc.zeros(2, 3), pos_weight=dc.ones(2))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.mse_loss(a, a, reduction="max")
    with pytest.warns(UserWarning, match="size_average and reduce"):
        assert F.mse_loss(dc.ones(3), dc.zeros(3), size_average=False).item() == 3.0


def test_empty_mean_is_nan():
    assert np.isnan(F.mse_loss(dc.zeros(0), dc.zeros(0)).item())
    assert F.l1_loss(dc.zeros(0), dc.zeros(0), reduction="sum").item() == 0.0


# ---------------------------------------------------------------- PyTorch, value for value
def test_losses_against_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x, t = class_problem((6, 5, 3), 27, ignore=True)
    w = rng(28).uniform(0.5, 2, size=5)
    for red in REDUCTIONS:
        ours = F.cross_entropy(dc.tensor(x), dc.tensor(t), dc.tensor(w), reduction=red,
                               label_smoothing=0.2)
        theirs = tf.cross_entropy(torch.tensor(x), torch.tensor(t), torch.tensor(w),
                                  reduction=red, label_smoothing=0.2)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14)
    # gradients of the fused op
    xl, tx = leaf(x), torch.tensor(x, requires_grad=True)
    F.cross_entropy(xl, dc.tensor(t), dc.tensor(w), label_smoothing=0.1).backward()
    tf.cross_entropy(tx, torch.tensor(t), torch.tensor(w), label_smoothing=0.1).backward()
    np.testing.assert_allclose(xl.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-15)
    # probability targets
    p = rng(29).dirichlet(np.ones(5), size=(6, 3)).transpose(0, 2, 1)
    np.testing.assert_allclose(
        F.cross_entropy(dc.tensor(x), dc.tensor(p), label_smoothing=0.1).item(),
        tf.cross_entropy(torch.tensor(x), torch.tensor(p), label_smoothing=0.1).item(), rtol=1e-12)
    # the rest
    xm = rng(30).uniform(-2, 2, size=(4, 6))
    tm = rng(31).integers(0, 6, size=4)
    for p_ in (1, 2):
        np.testing.assert_allclose(
            F.multi_margin_loss(dc.tensor(xm), dc.tensor(tm), p=p_, margin=0.7).item(),
            tf.multi_margin_loss(torch.tensor(xm), torch.tensor(tm), p=p_, margin=0.7).item(),
            rtol=1e-12)
    for name in POINTWISE:
        a, b = pointwise_inputs(name, (3, 4), 32)
        for red in REDUCTIONS:
            np.testing.assert_allclose(
                getattr(F, name)(dc.tensor(a), dc.tensor(b), reduction=red).numpy(),
                getattr(tf, name)(torch.tensor(a), torch.tensor(b), reduction=red).numpy(),
                rtol=1e-12, atol=1e-14)
    a, b = pointwise_inputs("binary_cross_entropy_with_logits", (3, 4), 33)
    pw = rng(34).uniform(0.5, 3, size=4)
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(dc.tensor(a), dc.tensor(b),
                                           pos_weight=dc.tensor(pw)).item(),
        tf.binary_cross_entropy_with_logits(torch.tensor(a), torch.tensor(b),
                                            pos_weight=torch.tensor(pw)).item(), rtol=1e-12)


# ---------------------------------------------------------------- modules
def test_loss_modules():
    nn = dc.nn
    x, t = class_problem((6, 4), 35, ignore=True)
    w = rng(36).uniform(0.5, 2, size=4)
    m = nn.CrossEntropyLoss(weight=dc.tensor(w), label_smoothing=0.1, reduction="sum")
    assert_close(m(dc.tensor(x), dc.tensor(t)),
                 ref_cross_entropy(x, t, w, ls=0.1, reduction="sum"), rtol=1e-13)
    assert list(m.state_dict()) == ["weight"] and list(m.parameters()) == []
    assert repr(m) == "CrossEntropyLoss()"
    assert nn.CrossEntropyLoss().weight is None
    logp = F.log_softmax(dc.tensor(x), 1)
    assert_close(nn.NLLLoss(ignore_index=-100)(logp, dc.tensor(t)),
                 ref_nll(logp.numpy(), t), rtol=1e-13)
    a, b = pointwise_inputs("mse_loss", (3, 2), 37)
    assert_close(nn.MSELoss(reduction="none")(dc.tensor(a), dc.tensor(b)), (a - b) ** 2)
    assert_close(nn.L1Loss()(dc.tensor(a), dc.tensor(b)), np.abs(a - b).mean(), rtol=1e-14)
    a, b = pointwise_inputs("binary_cross_entropy", (3, 2), 38)
    assert_close(nn.BCELoss()(dc.tensor(a), dc.tensor(b)),
                 ref_pointwise("binary_cross_entropy", a, b), rtol=1e-13)
    pw = dc.tensor([2.0, 0.5], dtype=dc.float64)
    m = nn.BCEWithLogitsLoss(pos_weight=pw)
    assert_close(m(dc.tensor(a), dc.tensor(b)),
                 ref_pointwise("x", a, b, pw=pw.numpy()), rtol=1e-13)
    assert list(m.state_dict()) == ["pos_weight"]
    xm = rng(39).uniform(-1, 1, size=(4, 3))
    tm = np.array([0, 2, 1, 1])
    assert_close(nn.MultiMarginLoss(p=2, margin=0.5)(dc.tensor(xm), dc.tensor(tm)),
                 ref_multi_margin(xm, tm, 2, 0.5), rtol=1e-13)
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.MSELoss(reduction="avg")
    # a loss module drives training: the gradient reaches the logits
    xl = leaf(x)
    nn.CrossEntropyLoss()(xl, dc.tensor(t)).backward()
    assert xl.grad.shape == (6, 4)


# ---------------------------------------------------------------- no crash on odd input
def test_no_crash_sweep():
    from test_no_crash import call, odd_tensors
    odd = list(odd_tensors().values()) + [dc.tensor([0, 1]), dc.tensor([5, -3]), dc.tensor(1),
                                          dc.zeros(2, 3), dc.zeros(2, 3, dtype=dc.float64)]
    fns = [F.cross_entropy, F.nll_loss, F.multi_margin_loss, F.mse_loss, F.l1_loss,
           F.binary_cross_entropy, F.binary_cross_entropy_with_logits]
    for x in odd:
        for t in odd:
            for fn in fns:
                for red in ("mean", "sum", "none"):
                    call(fn, x, t, reduction=red)
                call(fn, x, t, weight=dc.ones(3)) if fn not in (F.mse_loss, F.l1_loss) else None
            call(F.cross_entropy, x, t, label_smoothing=0.5, ignore_index=1)
            for g in odd[:6]:
                call(dc._C.cross_entropy_backward, g._a, x._a, t._a, None, g._a, -100, 0.0, "none")
                call(dc._C.nll_loss_backward, g._a, x._a, t._a, None, -100, "mean")
                call(dc._C.multi_margin_loss_backward, g._a, x._a, t._a, 1, 1.0, None, "none")
                call(dc._C.pointwise_loss_backward, "mse_loss", g._a, x._a, t._a, None, None,
                     "none", False)


@pytest.mark.parametrize("shape", [(64, 1000), (50, 24), (30, 10), (3, 7, 300)])
@pytest.mark.parametrize("prob", [False, True])
def test_float32_every_isa_path(shape, prob):
    """Fused cross-entropy, float32, on each kernel build the CPU runs (portable,
    AVX2, AVX-512): each against the float64 formula, loss and gradient."""
    r = rng(40)
    x = r.uniform(-20, 20, size=shape)
    if prob:
        t = r.uniform(0, 1, size=shape)
        t /= t.sum(axis=1, keepdims=True)
    else:
        t = r.integers(0, shape[1], size=(shape[0],) + shape[2:]).astype(np.int64)
    w = r.uniform(0.5, 2, size=shape[1])
    want = ref_cross_entropy(x, t, w, ls=0.1, reduction="sum")
    # d/dx of the summed loss: softmax * A - B (see ops/loss.h)
    sm = np.exp(x - logsumexp(x, 1))
    wb = w.reshape((1, -1) + (1,) * (len(shape) - 2))
    C = shape[1]
    if prob:
        tp = 0.9 * t + 0.1 / C
        grad = sm * (wb * tp).sum(1, keepdims=True) - wb * tp
    else:
        onehot = np.moveaxis(np.eye(C)[t], -1, 1)
        wt = np.expand_dims(w[t], 1)
        grad = sm * (0.9 * wt + 0.1 / C * w.sum()) - 0.9 * wt * onehot - 0.1 / C * wb
    tt = dc.tensor(t.astype(np.float32) if prob else t)
    try:
        for isa in available_isas():
            dc._C._set_isa_cap(isa)
            xl = dc.tensor(x.astype(np.float32), requires_grad=True)
            loss = F.cross_entropy(xl, tt, dc.tensor(w.astype(np.float32)), reduction="sum",
                                   label_smoothing=0.1)
            loss.backward()
            np.testing.assert_allclose(loss.item(), want, rtol=1e-5)
            np.testing.assert_allclose(xl.grad.numpy(), grad, rtol=1e-4, atol=1e-6)
    finally:
        dc._C._set_isa_cap("avx512")
