"""Dropout: inverted scaling, train/eval, p = 0 and 1, statistics, seeded
determinism (independent of threads), backward through the same mask."""
import math

import numpy as np
import pytest

import deepcore as dc
import deepcore.nn.functional as F
from deepcore.autograd import gradcheck
from conftest import leaf


@pytest.mark.parametrize("dtype", [dc.float32, dc.float64])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_inverted_scaling_and_statistics(dtype, p):
    n = 200_000
    x = dc.ones(n, dtype=dtype) * 3.0
    dc.manual_seed(0)
    y = F.dropout(x, p).numpy()
    kept = y != 0
    # kept elements are scaled by 1 / (1 - p), exactly as x * (1 / (1 - p)) in the dtype
    want = np.asarray(3.0, dtype=y.dtype) * np.asarray(1 / (1 - p), dtype=y.dtype)
    np.testing.assert_array_equal(y[kept], np.full(kept.sum(), want))
    # the dropped fraction is Binomial(n, p): within 5 standard deviations
    dropped = n - kept.sum()
    assert abs(dropped - n * p) < 5 * math.sqrt(n * p * (1 - p))
    # and the mean is preserved in expectation
    assert abs(y.mean() - 3.0) < 5 * 3.0 * math.sqrt(p / (1 - p) / n)


def test_mask_is_uncorrelated_along_the_tensor():
    dc.manual_seed(1)
    m = (F.dropout(dc.ones(100_000), 0.5).numpy() != 0).astype(np.float64)
    # neighbours (and lanes of the same Philox block) are independent
    for lag in (1, 2, 3, 4):
        c = np.corrcoef(m[:-lag], m[lag:])[0, 1]
        assert abs(c) < 0.02, (lag, c)


def test_identity_in_eval_and_for_p0():
    x = dc.randn(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    xl = leaf(np.ones(3))
    y = F.dropout(xl, 0.3, training=False)
    y.sum().backward()
    np.testing.assert_array_equal(xl.grad.numpy(), np.ones(3))


def test_p1_gives_zeros():
    x = dc.randn(6, 7, requires_grad=True)
    y = F.dropout(x, 1.0)
    np.testing.assert_array_equal(y.detach().numpy(), np.zeros((6, 7), np.float32))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((6, 7), np.float32))


def test_seeded_determinism_and_threads():
    x = dc.randn(1000, 300)
    dc.manual_seed(123)
    a = F.dropout(x, 0.3).numpy()
    b = F.dropout(x, 0.3).numpy()  # the generator moved on: another mask
    assert not np.array_equal(a != 0, b != 0)
    dc.manual_seed(123)
    dc.set_num_threads(1)
    c = F.dropout(x, 0.3).numpy()
    dc.set_num_threads(2)
    dc.manual_seed(123)
    d = F.dropout(x, 0.3).numpy()
    np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(a, d)
    dc.manual_seed(124)
    assert not np.array_equal(a != 0, F.dropout(x, 0.3).numpy() != 0)


def test_dropout_advances_generator_like_other_draws():
    dc.manual_seed(5)
    F.dropout(dc.ones(10), 0.5)
    r1 = dc.rand(3).numpy()
    dc.manual_seed(5)
    r0 = dc.rand(3).numpy()
    assert not np.array_equal(r0, r1)  # dropout consumed counters; rand does not reuse them


def test_backward_uses_the_same_mask():
    x = leaf(np.random.default_rng(0).uniform(1, 2, size=(50, 40)))
    y = F.dropout(x, 0.4)
    g = np.random.default_rng(1).uniform(-1, 1, size=(50, 40))
    y.backward(dc.tensor(g))
    kept = y.detach().numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, g / 0.6, 0.0), rtol=1e-15)


def test_gradcheck_with_fixed_seed():
    def f(x):
        dc.manual_seed(7)  # the same mask on every evaluation
        return F.dropout(x, 0.35)
    assert gradcheck(f, (leaf(np.random.default_rng(2).uniform(-1, 1, size=(4, 6))),))


def test_noncontiguous_input_and_shapes():
    base = dc.randn(8, 6)
    t = base.transpose(0, 1)
    dc.manual_seed(9)
    a = F.dropout(t, 0.5).numpy()
    dc.manual_seed(9)
    b = F.dropout(t.contiguous(), 0.5).numpy()
    np.testing.assert_array_equal(a, b)  # the mask follows row-major logical order
    np.testing.assert_array_equal(a[a != 0], (t.numpy() * 2)[a != 0])
    for shape in [(), (0,), (3, 0, 2), (1,), (5,)]:
        y = F.dropout(dc.ones(shape), 0.5)
        assert y.shape == shape


def test_inplace():
    x = dc.ones(100)
    dc.manual_seed(3)
    assert F.dropout(x, 0.5, inplace=True) is x
    assert set(np.unique(x.numpy())) <= {0.0, 2.0}


def test_errors():
    for p in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            F.dropout(dc.ones(3), p)
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            dc.nn.Dropout(p)
    with pytest.raises(ValueError, match="but got 2.0"):
        F.dropout(dc.ones(3), 2, training=False)
    with pytest.raises(TypeError, match="p must be a number"):
        F.dropout(dc.ones(3), "0.5")
    with pytest.raises(TypeError, match="expected a floating point tensor"):
        F.dropout(dc.tensor([1, 2, 3]), 0.5)
    with pytest.raises(TypeError, match="expected a Tensor"):
        F.dropout([1.0, 2.0], 0.5)
    with pytest.raises(ValueError, match="dropout_backward: dropout probability"):
        dc._C.dropout_backward(dc.ones(3)._a, 1.5, 0, 0)


def test_dropout_module_train_eval():
    m = dc.nn.Dropout(0.25)
    assert repr(m) == "Dropout(p=0.25, inplace=False)"
    x = dc.ones(10_000)
    y = m(x).numpy()
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    m.eval()
    assert m(x) is x
    m.train()
    assert (m(x).numpy() == 0).any()
    assert m.state_dict() == {}


def test_no_crash_sweep():
    from test_no_crash import ARGS, call, odd_tensors
    for t in odd_tensors().values():
        for a in ARGS:
            call(F.dropout, t, a)
            call(F.dropout, t, a, False)
            call(dc._C.dropout_backward, t._a, 0.5, 0, 0)
