"""Activations, softmax/log_softmax, dropout and every loss on the GPU against
the same op on the CPU (itself tested against float64 references in
test_nn_activation.py / test_nn_loss.py): forward and backward through
autograd, float32 and float64, every reduction, weights, label smoothing,
ignore_index, probability targets, extreme logits, the warp / block / strided
column paths of the row kernels, empty inputs and the error paths.

The kernels are called through _C where that isolates them from other ops
(so a failure points at this family), and through dc.nn.functional with
autograd for the whole path. The few CPU-only tests at the end pin what the
per-row-buffer refactor of the loss kernels must keep: the reductions are the
in-order double sums of the per-row losses, and error messages are unchanged.
"""
import numpy as np
import pytest

import deepcore as dc
import deepcore.nn as nn
import deepcore.nn.functional as F
from deepcore import _C
from conftest import needs_gpu

REDUCTIONS = ["mean", "sum", "none"]
# dtype name -> (dc dtype, numpy dtype, rtol, atol) for GPU vs CPU: the GPU's
# expf/logf differ from the CPU's by an ulp or two, and its sums run in
# another order.
DT = {"float32": (dc.float32, np.float32, 2e-5, 2e-6),
      "float64": (dc.float64, np.float64, 1e-11, 1e-12)}
DTYPES = list(DT)
# Row lengths around the warp (<= 1024) and block paths of the row kernels.
ROW_LENGTHS = [1, 31, 32, 33, 1000, 1024, 1025, 5000]


def rng(seed):
    return np.random.default_rng(seed)


def host(t):
    return t.detach().cpu().numpy()


def pair(a, dtype=None, requires_grad=False):
    """The same values as a CPU tensor and a GPU tensor (leaves)."""
    a = np.asarray(a) if dtype is None else np.asarray(a, dtype=DT[dtype][1])
    return (dc.tensor(a, requires_grad=requires_grad),
            dc.tensor(a, device="cuda", requires_grad=requires_grad))


def check(gpu, cpu, dtype, scale=1.0):
    """The GPU tensor is on the GPU and matches the CPU one (NaN where it has NaN)."""
    assert gpu.device.type == "cuda", gpu.device
    assert gpu.dtype == cpu.dtype and tuple(gpu.shape) == tuple(cpu.shape)
    _, _, rtol, atol = DT[dtype]
    np.testing.assert_allclose(host(gpu), host(cpu), rtol=rtol, atol=atol * scale, equal_nan=True)


def backward_both(fn, xs, grads=None):
    """Runs fn on the CPU and GPU leaves of each pair in xs, backward with the
    same incoming gradient; returns (out_cpu, out_gpu)."""
    oc = fn(*[c for c, _ in xs])
    og = fn(*[g for _, g in xs])
    if grads is None:
        grads = rng(99).uniform(-1, 1, size=tuple(oc.shape))
    gc, gg = pair(np.asarray(grads, dtype=np.float64).astype(host(oc).dtype))
    oc.backward(gc)
    og.backward(gg)
    return oc, og


# ---------------------------------------------------------------- pointwise activations
ACT_SHAPES = [(0,), (1,), (7,), (33, 65), (3, 4, 5)]


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", ACT_SHAPES)
def test_leaky_relu_and_elu(dtype, shape):
    a = rng(0).uniform(-4, 4, size=shape)
    for fn in (lambda x: F.leaky_relu(x, 0.2), lambda x: F.elu(x, 1.5), lambda x: F.elu(x)):
        (c, g) = pair(a, dtype, requires_grad=True)
        oc, og = backward_both(fn, [(c, g)])
        check(og, oc, dtype)
        check(g.grad, c.grad, dtype)


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
def test_native_backward_kernels(dtype):
    """relu/sigmoid/tanh/leaky_relu/elu backward on the GPU, called directly."""
    r = rng(1)
    saved = r.uniform(-3, 3, size=(37, 29))
    saved[0, :4] = [0.0, -0.0, np.inf, -np.inf]
    grad = r.uniform(-1, 1, size=saved.shape)
    (sc, sg), (gc, gg) = pair(saved, dtype), pair(grad, dtype)
    for name, args in [("relu_backward", ()), ("sigmoid_backward", ()), ("tanh_backward", ()),
                       ("leaky_relu_backward", (0.1,)), ("elu_backward", (0.7,))]:
        out_c = dc.Tensor._make(getattr(_C, name)(gc._a, sc._a, *args))
        out_g = dc.Tensor._make(getattr(_C, name)(gg._a, sg._a, *args))
        check(out_g, out_c, dtype)


@needs_gpu
def test_activation_strided_inputs():
    """Non-contiguous and broadcast (expanded) inputs read through the indexer."""
    a = rng(2).uniform(-2, 2, size=(6, 9))
    c, g = pair(a, "float32")
    check(F.leaky_relu(g.transpose(0, 1), 0.3), F.leaky_relu(c.transpose(0, 1), 0.3), "float32")
    check(F.elu(g[:, ::2]), F.elu(c[:, ::2]), "float32")
    check(F.elu(g[:1].expand(5, 9)), F.elu(c[:1].expand(5, 9)), "float32")
    grad_c, grad_g = pair(rng(3).uniform(-1, 1, size=(9, 6)), "float32")
    out_c = dc.Tensor._make(_C.elu_backward(grad_c._a, c.transpose(0, 1)._a, 1.0))
    out_g = dc.Tensor._make(_C.elu_backward(grad_g._a, g.transpose(0, 1)._a, 1.0))
    check(out_g, out_c, "float32")


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_sigmoid_tanh_autograd(dtype):
    a = rng(4).uniform(-3, 3, size=(17, 40))
    for fn in (F.relu, F.sigmoid, F.tanh):
        c, g = pair(a, dtype, requires_grad=True)
        oc, og = backward_both(fn, [(c, g)])
        check(og, oc, dtype)
        check(g.grad, c.grad, dtype)


@needs_gpu
def test_activation_special_values():
    a = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e-30, 88.0, -104.0])
    for dtype in DTYPES:
        c, g = pair(a, dtype)
        check(F.leaky_relu(g, 0.01), F.leaky_relu(c, 0.01), dtype)
        check(F.elu(g), F.elu(c), dtype)


# ---------------------------------------------------------------- softmax
@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", ROW_LENGTHS)
@pytest.mark.parametrize("log", [False, True])
def test_softmax_last_dim_rows(dtype, n, log):
    """Rows of n along the last dim: warp per row up to 1024, block beyond."""
    x = rng(n).uniform(-8, 8, size=(7, n))
    g = rng(n + 1).uniform(-1, 1, size=(7, n))
    op, bwd = (_C.log_softmax, _C.log_softmax_backward) if log else (_C.softmax, _C.softmax_backward)
    (xc, xg), (gc, gg) = pair(x, dtype), pair(g, dtype)
    yc, yg = dc.Tensor._make(op(xc._a, -1)), dc.Tensor._make(op(xg._a, -1))
    check(yg, yc, dtype, scale=10)
    # Backward from the GPU output (its own y), compared with the CPU's.
    bc = dc.Tensor._make(bwd(gc._a, yc._a, -1))
    bg = dc.Tensor._make(bwd(gg._a, yg._a, -1))
    check(bg, bc, dtype, scale=10)


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", [((5, 6, 7), 0), ((5, 6, 7), 1), ((5, 6, 7), 2),
                                       ((5, 6, 7), -2), ((3, 1000, 2), 1), ((2, 5000, 3), 1),
                                       ((4, 3, 33, 2), 2), ((9,), 0), ((), 0), ((), -1),
                                       ((1, 1), 0), ((0, 5), 1), ((4, 0), 1), ((4, 0), 0)])
@pytest.mark.parametrize("log", [False, True])
def test_softmax_any_dim_autograd(dtype, shape, dim, log):
    """Inner strided dims (one thread per column), 0-d and empty tensors, with autograd."""
    fn = F.log_softmax if log else F.softmax
    x = rng(5).uniform(-5, 5, size=shape)
    c, g = pair(x, dtype, requires_grad=True)
    oc, og = backward_both(lambda t: fn(t, dim=dim), [(c, g)])
    check(og, oc, dtype, scale=10)
    check(g.grad, c.grad, dtype, scale=10)


@needs_gpu
@pytest.mark.parametrize("log", [False, True])
def test_softmax_noncontiguous_input(log):
    fn = F.log_softmax if log else F.softmax
    x = rng(6).uniform(-5, 5, size=(40, 33))
    c, g = pair(x, "float32")
    check(fn(g.transpose(0, 1), dim=1), fn(c.transpose(0, 1), dim=1), "float32")
    check(fn(g.transpose(0, 1), dim=0), fn(c.transpose(0, 1), dim=0), "float32")


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [3, 40, 2000])
def test_softmax_extreme_logits(dtype, n):
    """+-1000 logits stay finite; -inf entries give 0; special rows as on the CPU."""
    x = rng(7).choice([-1000.0, 1000.0, 0.0, 999.5], size=(6, n))
    x[1, :] = -1000.0
    x[2, ::2] = -np.inf
    x[3, :] = -np.inf   # all -inf: NaN, as the CPU
    x[4, 1] = np.nan    # a NaN: NaN row
    x[5, 0] = np.inf    # +inf: NaN row
    for fn in (F.softmax, F.log_softmax):
        for dim, xx in ((1, x), (0, np.ascontiguousarray(x.T))):
            c, g = pair(xx, dtype)
            yc, yg = fn(c, dim=dim), fn(g, dim=dim)
            check(yg, yc, dtype, scale=10)
            finite = host(yc)[:2] if dim == 1 else host(yc)[:, :2]  # the +-1000 rows
            assert np.isfinite(finite).all()


@needs_gpu
def test_softmax_backward_inner_dims_and_log():
    x = rng(8).uniform(-3, 3, size=(3, 50, 4))
    for fn in (F.softmax, F.log_softmax):
        for dim in (0, 1, 2):
            c, g = pair(x, "float64", requires_grad=True)
            oc, og = backward_both(lambda t: fn(t, dim=dim), [(c, g)])
            check(g.grad, c.grad, "float64")


# ---------------------------------------------------------------- dropout
@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [0, 1, 5, 4097])
def test_dropout_same_mask_as_cpu(dtype, n):
    x = rng(9).uniform(0.5, 2, size=n)
    c, g = pair(x, dtype, requires_grad=True)
    dc.manual_seed(123)
    oc = F.dropout(c, 0.3)
    dc.manual_seed(123)
    og = F.dropout(g, 0.3)
    check(og, oc, dtype)
    grad = rng(10).uniform(-1, 1, size=n)
    gc, gg = pair(grad, dtype)
    oc.backward(gc)
    og.backward(gg)
    check(g.grad, c.grad, dtype)
    for p in (0.0, 1.0):
        c2, g2 = pair(x, dtype)
        dc.manual_seed(5)
        a = F.dropout(c2, p)
        dc.manual_seed(5)
        check(F.dropout(g2, p), a, dtype)


# ---------------------------------------------------------------- cross-entropy
def class_problem(shape, seed, ignore=False):
    """Logits of `shape` (class dim 1, or 0 for 1-D) and int64 targets."""
    r = rng(seed)
    x = r.uniform(-3, 3, size=shape)
    C = shape[0 if len(shape) == 1 else 1]
    tshape = () if len(shape) == 1 else shape[:1] + shape[2:]
    t = r.integers(0, C, size=tshape).astype(np.int64)
    if ignore and t.size > 1:
        t.reshape(-1)[::3] = -100
    return x, t


def prob_targets(shape, seed):
    cdim = 0 if len(shape) == 1 else 1
    p = rng(seed).uniform(0, 1, size=shape)
    return p / p.sum(axis=cdim, keepdims=True)


CE_SHAPES = [(6, 5), (5,), (4, 3, 2), (3, 4, 2, 3), (2, 4, 300), (1, 1), (3, 1), (4, 31),
             (4, 32), (4, 33), (3, 1000), (2, 5000), (0, 5), (0, 5, 3)]


def ce_both(x, t, dtype, weight=None, prob=False, **kw):
    """cross_entropy and its logits gradient on both devices."""
    (xc, xg) = pair(x, dtype, requires_grad=True)
    tc, tg = pair(t, dtype) if prob else pair(t)
    wc, wg = pair(weight, dtype) if weight is not None else (None, None)
    oc = F.cross_entropy(xc, tc, weight=wc, **kw)
    og = F.cross_entropy(xg, tg, weight=wg, **kw)
    gc, gg = pair(rng(11).uniform(0.5, 1.5, size=tuple(oc.shape)), dtype)
    oc.backward(gc)
    og.backward(gg)
    return (oc, xc.grad), (og, xg.grad)


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", CE_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.2])
def test_cross_entropy_class_targets(dtype, shape, reduction, weighted, ls):
    x, t = class_problem(shape, 12, ignore=True)
    C = shape[0 if len(shape) == 1 else 1]
    w = rng(13).uniform(0.2, 2, size=C) if weighted else None
    (oc, gxc), (og, gxg) = ce_both(x, t, dtype, w, reduction=reduction, label_smoothing=ls)
    check(og, oc, dtype, scale=10)
    check(gxg, gxc, dtype, scale=10)


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(6, 5), (5,), (4, 3, 2), (2, 4, 300), (4, 33), (3, 1000),
                                   (2, 5000), (0, 5)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.2])
def test_cross_entropy_probability_targets(dtype, shape, reduction, weighted, ls):
    x = rng(14).uniform(-3, 3, size=shape)
    t = prob_targets(shape, 15) if 0 not in shape else np.zeros(shape)
    C = shape[0 if len(shape) == 1 else 1]
    w = rng(16).uniform(0.2, 2, size=C) if weighted else None
    (oc, gxc), (og, gxg) = ce_both(x, t, dtype, w, prob=True, reduction=reduction,
                                   label_smoothing=ls)
    check(og, oc, dtype, scale=10)
    check(gxg, gxc, dtype, scale=10)


@needs_gpu
def test_cross_entropy_probability_target_gradient():
    """The gradient with respect to probability targets (composite ops on the GPU)."""
    x = rng(17).uniform(-3, 3, size=(5, 7))
    t = prob_targets((5, 7), 18)
    for reduction in REDUCTIONS:
        xc, xg = pair(x, "float64")
        tc, tg = pair(t, "float64", requires_grad=True)
        oc, og = backward_both(lambda a, b: F.cross_entropy(a, b, reduction=reduction,
                                                            label_smoothing=0.1),
                               [(xc, xg), (tc, tg)])
        check(og, oc, "float64")
        check(tg.grad, tc.grad, "float64")


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("C", [3, 40, 2000])
def test_cross_entropy_extreme_logits(dtype, C):
    x = rng(19).choice([-1000.0, 1000.0, 0.0], size=(8, C))
    x[0, :] = 1000.0
    x[1, :] = -1000.0
    t = rng(20).integers(0, C, size=8)
    for ls in (0.0, 0.3):
        (oc, gxc), (og, gxg) = ce_both(x, t, dtype, reduction="none", label_smoothing=ls)
        assert np.isfinite(host(og)).all() and np.isfinite(host(gxg)).all()
        check(og, oc, dtype, scale=1e3)
        check(gxg, gxc, dtype, scale=10)


@needs_gpu
def test_cross_entropy_lse_and_ignore_index():
    x, t = class_problem((9, 6), 21)
    t[[0, 4, 8]] = 3
    for ignore in (3, -100, 0):
        for reduction in REDUCTIONS:
            (oc, gxc), (og, gxg) = ce_both(x, t, "float64", reduction=reduction,
                                           ignore_index=ignore)
            check(og, oc, "float64")
            check(gxg, gxc, "float64")
    xc, xg = pair(x, "float32")
    tc, tg = pair(t)
    _, lse_c = _C.cross_entropy(xc._a, tc._a, None, -100, 0.0, "mean")
    _, lse_g = _C.cross_entropy(xg._a, tg._a, None, -100, 0.0, "mean")
    check(dc.Tensor._make(lse_g), dc.Tensor._make(lse_c), "float32")


@needs_gpu
def test_cross_entropy_empty_and_all_ignored():
    for reduction, expect in (("mean", np.nan), ("sum", 0.0)):
        (oc, gxc), (og, gxg) = ce_both(np.zeros((0, 4)), np.zeros(0, np.int64), "float32",
                                       reduction=reduction)
        check(og, oc, "float32")
        assert np.isnan(host(og)) if np.isnan(expect) else host(og) == expect
        assert tuple(gxg.shape) == (0, 4)
    x, t = class_problem((4, 3), 22)
    t[:] = -100
    (oc, gxc), (og, gxg) = ce_both(x, t, "float32", reduction="mean")
    assert np.isnan(host(og))
    check(gxg, gxc, "float32")


@needs_gpu
def test_cross_entropy_noncontiguous_logits():
    x = rng(23).uniform(-3, 3, size=(7, 5))
    t = rng(24).integers(0, 7, size=5)
    c, g = pair(np.ascontiguousarray(x), "float32", requires_grad=True)
    tc, tg = pair(t)
    oc, og = backward_both(lambda a, b: F.cross_entropy(a.transpose(0, 1), b),
                           [(c, g), (tc, tg)], grads=1.0)
    check(og, oc, "float32")
    check(g.grad, c.grad, "float32")


@needs_gpu
def test_cross_entropy_gpu_errors():
    x = dc.zeros(4, 10, device="cuda")
    # Out-of-range targets raise before any kernel runs, with the CPU's message.
    with pytest.raises(IndexError, match="cross_entropy: target 12 out of range for 10 classes"):
        F.cross_entropy(x, dc.tensor([1, 12, 3, 4], device="cuda"))
    with pytest.raises(IndexError, match="cross_entropy: target -1 out of range for 10 classes"):
        F.cross_entropy(x, dc.tensor([1, -1, 3, 4], device="cuda"))
    with pytest.raises(RuntimeError, match="cross_entropy: expected all tensors to be on the "
                                           "same device, but found 'cuda:0' and 'cpu'"):
        F.cross_entropy(x, dc.tensor([1, 2, 3, 4]))
    with pytest.raises(RuntimeError, match="same device.*'cuda:0' and 'cpu'"):
        F.cross_entropy(x, dc.tensor([1, 2, 3, 4], device="cuda"), weight=dc.ones(10))
    with pytest.raises(RuntimeError, match="same device.*'cpu' and 'cuda:0'"):
        F.cross_entropy(dc.zeros(4, 10), dc.tensor([1, 2, 3, 4], device="cuda"))
    # The backward checks too (grad on another device).
    xl = dc.zeros(4, 10, device="cuda", requires_grad=True)
    t = dc.tensor([1, 2, 3, 4], device="cuda")
    loss, lse = _C.cross_entropy(xl._a, t._a, None, -100, 0.0, "mean")
    with pytest.raises(RuntimeError, match="cross_entropy_backward: expected all tensors"):
        _C.cross_entropy_backward(dc.tensor(1.0)._a, xl._a, t._a, None, lse, -100, 0.0, "mean")
    with pytest.raises(IndexError, match="cross_entropy_backward: target 10 out of range"):
        _C.cross_entropy_backward(dc.tensor(1.0, device="cuda")._a, xl._a,
                                  dc.tensor([1, 2, 3, 10], device="cuda")._a, None, lse, -100,
                                  0.0, "mean")


# ---------------------------------------------------------------- nll
@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5, 4), (4,), (3, 4, 2), (2, 3, 2, 2), (3, 1000), (0, 3)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(dtype, shape, reduction, weighted):
    x, t = class_problem(shape, 25, ignore=True)
    C = shape[0 if len(shape) == 1 else 1]
    w = rng(26).uniform(0.2, 2, size=C) if weighted else None
    xc, xg = pair(x, dtype, requires_grad=True)
    tc, tg = pair(t)
    wc, wg = pair(w, dtype) if weighted else (None, None)
    oc, og = backward_both(lambda a, b: F.nll_loss(a, b, weight=wc if a.device.type == "cpu"
                                                   else wg, reduction=reduction),
                           [(xc, xg), (tc, tg)])
    check(og, oc, dtype)
    check(xg.grad, xc.grad, dtype)


@needs_gpu
def test_nll_loss_gpu_errors():
    x = dc.zeros(3, 5, device="cuda")
    with pytest.raises(IndexError, match="nll_loss: target 5 out of range for 5 classes"):
        F.nll_loss(x, dc.tensor([0, 5, 1], device="cuda"))
    with pytest.raises(RuntimeError, match="nll_loss: expected all tensors to be on the same "
                                           "device, but found 'cuda:0' and 'cpu'"):
        F.nll_loss(x, dc.tensor([0, 1, 1]))


# ---------------------------------------------------------------- multi-margin
@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5, 4), (4,), (3, 1), (6, 33), (3, 1000), (2, 5000), (0, 4)])
@pytest.mark.parametrize("p,margin", [(1, 1.0), (2, 0.5)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_loss(dtype, shape, p, margin, weighted, reduction):
    x, t = class_problem(shape, 27)
    C = shape[-1]
    w = rng(28).uniform(0.2, 2, size=C) if weighted else None
    xc, xg = pair(x, dtype, requires_grad=True)
    tc, tg = pair(t)
    wc, wg = pair(w, dtype) if weighted else (None, None)

    def fn(a, b):
        return F.multi_margin_loss(a, b, p=p, margin=margin,
                                   weight=wc if a.device.type == "cpu" else wg,
                                   reduction=reduction)
    oc, og = backward_both(fn, [(xc, xg), (tc, tg)])
    check(og, oc, dtype, scale=10)
    check(xg.grad, xc.grad, dtype)


@needs_gpu
def test_multi_margin_gpu_errors():
    x = dc.zeros(2, 3, device="cuda")
    with pytest.raises(IndexError, match="multi_margin_loss: target 3 out of range for 3 classes"):
        F.multi_margin_loss(x, dc.tensor([0, 3], device="cuda"))
    with pytest.raises(RuntimeError, match="same device.*'cuda:0' and 'cpu'"):
        F.multi_margin_loss(x, dc.tensor([0, 1]))


# ---------------------------------------------------------------- elementwise losses
def pointwise_inputs(name, shape, seed):
    r = rng(seed)
    if name == "binary_cross_entropy":
        x = r.uniform(0, 1, size=shape)
        x.reshape(-1)[:2] = [0.0, 1.0][: x.size]  # the clamped-log ends
    else:
        x = r.uniform(-4, 4, size=shape)
    y = r.uniform(0, 1, size=shape)
    return x, y


POINTWISE = ["mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"]


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", POINTWISE)
@pytest.mark.parametrize("shape", [(0,), (1,), (7,), (4, 5), (2, 3, 4)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pointwise_losses(dtype, name, shape, reduction):
    x, y = pointwise_inputs(name, shape, 29)
    xc, xg = pair(x, dtype, requires_grad=True)
    yc, yg = pair(y, dtype, requires_grad=True)
    fn = getattr(F, name)
    oc, og = backward_both(lambda a, b: fn(a, b, reduction=reduction), [(xc, xg), (yc, yg)])
    check(og, oc, dtype, scale=10)
    check(xg.grad, xc.grad, dtype, scale=10)
    check(yg.grad, yc.grad, dtype, scale=10)


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("wshape,pwshape", [(None, None), ((4,), None), (None, (4,)),
                                            ((3, 1), (4,)), ((3, 4), (1,)), ((), None)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_weight_and_pos_weight_broadcast(dtype, wshape, pwshape, reduction):
    x, y = pointwise_inputs("binary_cross_entropy_with_logits", (3, 4), 30)
    r = rng(31)
    w = None if wshape is None else r.uniform(0.2, 2, size=wshape)
    pw = None if pwshape is None else r.uniform(0.2, 3, size=pwshape)
    (wc, wg) = pair(w, dtype) if w is not None else (None, None)
    (pc, pg) = pair(pw, dtype) if pw is not None else (None, None)
    xc, xg = pair(x, dtype, requires_grad=True)
    yc, yg = pair(y, dtype, requires_grad=True)

    def logits(a, b):
        on_cpu = a.device.type == "cpu"
        return F.binary_cross_entropy_with_logits(a, b, wc if on_cpu else wg,
                                                  pos_weight=pc if on_cpu else pg,
                                                  reduction=reduction)
    oc, og = backward_both(logits, [(xc, xg), (yc, yg)])
    check(og, oc, dtype, scale=10)
    check(xg.grad, xc.grad, dtype)
    check(yg.grad, yc.grad, dtype)
    if pw is None:  # plain bce takes a weight too
        xb, _ = pointwise_inputs("binary_cross_entropy", (3, 4), 32)
        bc, bg = pair(xb, dtype, requires_grad=True)
        oc, og = backward_both(lambda a: F.binary_cross_entropy(
            a, yc.detach() if a.device.type == "cpu" else yg.detach(),
            weight=wc if a.device.type == "cpu" else wg, reduction=reduction), [(bc, bg)])
        check(og, oc, dtype, scale=10)
        check(bg.grad, bc.grad, dtype, scale=10)


@needs_gpu
def test_pointwise_noncontiguous_and_stable_logits():
    x = rng(33).uniform(-3, 3, size=(5, 6))
    y = rng(34).uniform(0, 1, size=(6, 5))
    xc, xg = pair(x, "float32")
    yc, yg = pair(y, "float32")
    for name in POINTWISE[:2] + POINTWISE[3:]:
        fn = getattr(F, name)
        check(fn(xg.transpose(0, 1), yg, reduction="none"),
              fn(xc.transpose(0, 1), yc, reduction="none"), "float32")
    big = np.array([-1000.0, -100.0, 0.0, 100.0, 1000.0])
    for dtype in DTYPES:
        bc, bg = pair(big, dtype, requires_grad=True)
        tc, tg = pair(np.array([0.0, 1.0, 0.5, 0.0, 1.0]), dtype)
        oc, og = backward_both(lambda a: F.binary_cross_entropy_with_logits(
            a, tc if a.device.type == "cpu" else tg, reduction="none"), [(bc, bg)])
        assert np.isfinite(host(og)).all()
        check(og, oc, dtype, scale=1e3)
        check(bg.grad, bc.grad, dtype)


@needs_gpu
def test_pointwise_gpu_errors():
    x = dc.tensor([0.2, 1.5, 0.3], device="cuda")
    y = dc.zeros(3, device="cuda")
    with pytest.raises(RuntimeError, match="binary_cross_entropy: all elements of input should "
                                           "be between 0 and 1, got 1.5"):
        F.binary_cross_entropy(x, y)
    with pytest.raises(RuntimeError, match="between 0 and 1, got nan"):
        F.binary_cross_entropy(dc.tensor([0.5, float("nan")], device="cuda"),
                               dc.zeros(2, device="cuda"))
    with pytest.raises(RuntimeError, match="mse_loss: expected all tensors to be on the same "
                                           "device, but found 'cuda:0' and 'cpu'"):
        F.mse_loss(y, dc.zeros(3))
    with pytest.raises(RuntimeError, match="same device.*'cuda:0' and 'cpu'"):
        F.binary_cross_entropy_with_logits(y, y, weight=dc.ones(3))
    with pytest.raises(RuntimeError, match="same device.*'cuda:0' and 'cpu'"):
        F.binary_cross_entropy_with_logits(y, y, pos_weight=dc.ones(3))


# ---------------------------------------------------------------- modules, one_hot
@needs_gpu
def test_loss_and_activation_modules_on_gpu():
    x, t = class_problem((6, 4), 35)
    w = rng(36).uniform(0.5, 2, size=4)
    crit_c = nn.CrossEntropyLoss(weight=dc.tensor(w, dtype=dc.float32), label_smoothing=0.1)
    crit_g = nn.CrossEntropyLoss(weight=dc.tensor(w, dtype=dc.float32),
                                 label_smoothing=0.1).to("cuda")
    xc, xg = pair(x, "float32")
    tc, tg = pair(t)
    check(crit_g(xg, tg), crit_c(xc, tc), "float32")
    for mod in (nn.ReLU(), nn.LeakyReLU(0.2), nn.ELU(), nn.Sigmoid(), nn.Tanh(),
                nn.Softmax(dim=1), nn.LogSoftmax(dim=0)):
        check(mod(xg), mod(xc), "float32")
    for crit in (nn.MSELoss(), nn.L1Loss(), nn.BCEWithLogitsLoss(pos_weight=dc.ones(4) * 2)):
        y = rng(37).uniform(0, 1, size=(6, 4))
        yc, yg = pair(y, "float32")
        check(crit.to("cuda")(xg, yg), crit.to("cpu")(xc, yc), "float32")


@needs_gpu
def test_one_hot_on_gpu():
    t = dc.tensor([0, 2, 1, 2], device="cuda")
    out = F.one_hot(t, 3)
    assert out.device.type == "cuda"
    np.testing.assert_array_equal(host(out), np.eye(3, dtype=np.int64)[[0, 2, 1, 2]])


# ---------------------------------------------------------------- CPU: the row reductions
def sequential_sum(values):
    total = 0.0
    for v in values:
        total += float(v)
    return total


@pytest.mark.parametrize("shape", [(7, 5), (3, 4, 6)])
def test_cpu_loss_reductions_are_in_order_double_sums(shape):
    """reduction='sum'/'mean' are exactly the in-order double sums of the
    float64 per-row losses (what the ops layer did before it kept the rows in
    Arrays), divided by the row count or the sum of the target weights."""
    x, t = class_problem(shape, 38, ignore=True)
    C = shape[1]
    w = rng(39).uniform(0.2, 2, size=C)
    xt, tt, wt = dc.tensor(x), dc.tensor(t), dc.tensor(w)
    for fn in (lambda **k: F.cross_entropy(xt, tt, weight=wt, label_smoothing=0.1, **k),
               lambda **k: F.nll_loss(xt, tt, weight=wt, **k)):
        rows = fn(reduction="none").numpy().reshape(-1)
        total = sequential_sum(rows)
        assert fn(reduction="sum").item() == total
        denom = 0.0
        for k in t.reshape(-1):
            if k != -100:
                denom += float(w[k])
        assert fn(reduction="mean").item() == total / denom
    xm, tm = class_problem((6, 4), 40)
    rows = F.multi_margin_loss(dc.tensor(xm), dc.tensor(tm), reduction="none").numpy()
    mean = F.multi_margin_loss(dc.tensor(xm), dc.tensor(tm)).item()
    assert mean == sequential_sum(rows) / 6


def test_cpu_reduced_backward_scale_is_grad_over_denominator():
    """The backward of a reduced loss scales by grad / denom computed in double."""
    x, t = class_problem((5, 3), 41)
    xl = dc.tensor(x, dtype=dc.float32, requires_grad=True)
    g = 0.7
    F.nll_loss(xl, dc.tensor(t), reduction="mean").backward(dc.tensor(g, dtype=dc.float32))
    expect = np.zeros((5, 3), np.float32)
    expect[np.arange(5), t] = -np.float32(np.float64(np.float32(g)) / 5.0)
    np.testing.assert_array_equal(xl.grad.numpy(), expect)
    # reduction='none' of a single (C,) row: a 0-d grad that is the row's own.
    x1 = dc.tensor(x[0], requires_grad=True)
    F.cross_entropy(x1, dc.tensor(int(t[0])), reduction="none").backward(dc.tensor(2.0, dtype=dc.float64))
    x2 = dc.tensor(x[0], requires_grad=True)
    F.cross_entropy(x2, dc.tensor(int(t[0])), reduction="sum").backward(dc.tensor(2.0, dtype=dc.float64))
    np.testing.assert_array_equal(x1.grad.numpy(), x2.grad.numpy())


def test_cpu_bce_reports_first_bad_value():
    with pytest.raises(RuntimeError, match="binary_cross_entropy: all elements of input should "
                                           "be between 0 and 1, got -0.5"):
        F.binary_cross_entropy(dc.tensor([[0.2, 0.3], [-0.5, 2.0]]).transpose(0, 1),
                               dc.zeros(2, 2))
    # Empty inputs have nothing to check.
    assert F.binary_cross_entropy(dc.zeros(0), dc.zeros(0), reduction="sum").item() == 0.0
