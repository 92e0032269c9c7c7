"""Shape ops: views share memory, results match numpy, backward by gradcheck."""
import numpy as np
import pytest

import deepcore as dc
from deepcore.autograd import gradcheck
from conftest import assert_close, leaf, make


def shares_memory(t, u):
    return np.shares_memory(t.detach().numpy(), u.detach().numpy())


def test_reshape_and_view():
    a, t = make((2, 3, 4), "float32")
    assert_close(t.reshape(6, 4), a.reshape(6, 4))
    assert_close(t.reshape((4, -1)), a.reshape(4, -1))
    assert_close(t.view(-1), a.reshape(-1))
    assert_close(dc.reshape(t, [24]), a.reshape(24))
    assert shares_memory(t.view(24), t)
    assert t.reshape(2, 12).shape == (2, 12)


def test_reshape_of_noncontiguous_copies_and_view_raises():
    a, t = make((3, 4), "float64", noncontig=True)
    r = t.reshape(12)
    assert_close(r, a.reshape(12))
    with pytest.raises(RuntimeError, match="view: .*use reshape"):
        t.view(12)
    # a view that only splits a dim is possible even when non-contiguous
    assert_close(t.view(3, 2, 2), a.reshape(3, 2, 2))


def test_reshape_errors():
    t = dc.zeros(2, 3)
    with pytest.raises(ValueError, match=r"reshape: shape \(4, 2\) is invalid for input of size 6"):
        t.reshape(4, 2)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        t.reshape(-1, -1)
    with pytest.raises(ValueError, match="invalid size -2"):
        t.reshape(-2, 3)
    with pytest.raises(TypeError, match="reshape"):
        t.reshape(2.0, 3)


def test_reshape_empty_and_0d():
    t = dc.zeros(0, 3)
    assert t.reshape(3, 0).shape == (3, 0)
    assert t.reshape(-1, 3).shape == (0, 3)
    s = dc.tensor(5.0)
    assert s.reshape(1, 1).shape == (1, 1)
    assert dc.ones(1, 1).reshape(()).shape == ()


def test_flatten():
    a, t = make((2, 3, 4, 5), "float32")
    assert t.flatten().shape == (120,)
    assert_close(t.flatten(1), a.reshape(2, 60))
    assert_close(t.flatten(1, 2), a.reshape(2, 12, 5))
    assert_close(dc.flatten(t, -2), a.reshape(2, 3, 20))
    assert dc.tensor(3.0).flatten().shape == (1,)
    with pytest.raises(IndexError, match="flatten: dimension out of range"):
        t.flatten(5)
    with pytest.raises(ValueError, match="start_dim"):
        t.flatten(2, 1)


def test_transpose_permute_T():
    a, t = make((2, 3, 4), "float64")
    assert_close(t.transpose(0, 2), a.transpose(2, 1, 0))
    assert_close(t.transpose(-1, -2), np.swapaxes(a, -1, -2))
    assert_close(t.permute(1, 2, 0), a.transpose(1, 2, 0))
    assert_close(t.permute((2, 0, 1)), a.transpose(2, 0, 1))
    assert_close(t.T, a.T)
    m, tm = make((3, 5), "float32")
    assert_close(tm.T, m.T)
    assert_close(tm.t(), m.T)
    assert shares_memory(t.permute(2, 0, 1), t)
    with pytest.raises(ValueError, match="permute: number of dims 2"):
        t.permute(0, 1)
    with pytest.raises(ValueError, match="more than once"):
        t.permute(0, 0, 1)
    with pytest.raises(IndexError, match="transpose: dimension out of range"):
        t.transpose(0, 3)


def test_expand():
    a, t = make((3, 1), "float32")
    assert_close(t.expand(3, 4), np.broadcast_to(a, (3, 4)))
    assert_close(t.expand(2, -1, 5), np.broadcast_to(a, (2, 3, 5)))
    assert shares_memory(t.expand(3, 4), t)
    assert_close(t.expand_as(dc.zeros(3, 2)), np.broadcast_to(a, (3, 2)))
    with pytest.raises(ValueError, match="expand: the expanded size"):
        t.expand(4, 4)
    with pytest.raises(ValueError, match="expand"):
        t.expand(4)


def test_squeeze_unsqueeze():
    a, t = make((1, 3, 1, 2), "float32")
    assert t.squeeze().shape == (3, 2)
    assert t.squeeze(0).shape == (3, 1, 2)
    assert t.squeeze(1).shape == (1, 3, 1, 2)
    assert t.squeeze((0, 2)).shape == (3, 2)
    assert t.unsqueeze(0).shape == (1, 1, 3, 1, 2)
    assert t.unsqueeze(-1).shape == (1, 3, 1, 2, 1)
    assert_close(t.squeeze().unsqueeze(1), a.reshape(3, 1, 2))
    assert dc.tensor(1.0).unsqueeze(0).shape == (1,)
    assert dc.tensor(1.0).squeeze().shape == ()
    with pytest.raises(IndexError, match="unsqueeze: dimension out of range"):
        t.unsqueeze(6)


def test_cat_and_stack():
    a, ta = make((2, 3), "float32", seed=1)
    b, tb = make((4, 3), "float32", seed=2)
    assert_close(dc.cat([ta, tb]), np.concatenate([a, b]))
    assert_close(dc.cat([ta, ta], dim=1), np.concatenate([a, a], 1))
    assert_close(dc.cat([ta, dc.zeros(0, 3)]), a)
    assert_close(dc.stack([ta, ta]), np.stack([a, a]))
    assert_close(dc.stack([ta, ta], dim=2), np.stack([a, a], 2))
    assert_close(dc.stack([ta, ta], dim=-1), np.stack([a, a], -1))
    n, tn = make((3, 2), "float32", noncontig=True, seed=3)
    assert_close(dc.cat([tn, tn]), np.concatenate([n, n]))
    with pytest.raises(ValueError, match=r"cat: sizes of tensors must match except in dimension 0"):
        dc.cat([ta, dc.zeros(2, 4)])
    with pytest.raises(ValueError, match="stack: expects each tensor to be equal size"):
        dc.stack([ta, tb])
    with pytest.raises(ValueError, match="non-empty"):
        dc.cat([])
    with pytest.raises(TypeError, match="cat: expected a sequence of tensors"):
        dc.cat([ta, 3])
    with pytest.raises(TypeError, match="float32 and float64"):
        dc.cat([ta, ta.double()])
    with pytest.raises(ValueError, match="zero-dimensional"):
        dc.cat([dc.tensor(1.0)])


def test_narrow_split_chunk():
    a, t = make((7, 3), "float64")
    assert_close(t.narrow(0, 2, 3), a[2:5])
    parts = t.split(3)
    assert [p.shape[0] for p in parts] == [3, 3, 1]
    assert_close(dc.cat(list(parts)), a)
    assert [p.shape[0] for p in t.split([2, 5])] == [2, 5]
    assert [p.shape[0] for p in t.chunk(3)] == [3, 3, 1]
    with pytest.raises(IndexError, match="narrow"):
        t.narrow(0, 5, 3)


def test_contiguous():
    a, t = make((3, 4), "float32", noncontig=True)
    c = t.contiguous()
    assert c.is_contiguous()
    assert_close(c, a)
    assert c.contiguous() is c


# -------------------------------------------------------------- gradients
def test_shape_ops_gradcheck():
    x = leaf(np.random.default_rng(0).normal(size=(2, 3, 4)))
    assert gradcheck(lambda t: t.reshape(6, 4) * dc.arange(4.0).double(), (x,))
    assert gradcheck(lambda t: t.permute(2, 0, 1).reshape(4, 6), (x,))
    assert gradcheck(lambda t: t.transpose(0, 2).contiguous(), (x,))
    assert gradcheck(lambda t: t.flatten(1), (x,))
    assert gradcheck(lambda t: t.unsqueeze(1).squeeze(1), (x,))
    assert gradcheck(lambda t: t.T, (x,))
    assert gradcheck(lambda t: t.narrow(1, 1, 2), (x,))


def test_expand_gradcheck():
    x = leaf(np.random.default_rng(1).normal(size=(3, 1)))
    assert gradcheck(lambda t: t.expand(2, 3, 4), (x,))


def test_cat_stack_gradcheck():
    rng = np.random.default_rng(2)
    a, b = leaf(rng.normal(size=(2, 3))), leaf(rng.normal(size=(1, 3)))
    assert gradcheck(lambda x, y: dc.cat([x, y, x]), (a, b))
    assert gradcheck(lambda x: dc.stack([x, x * 2], dim=1), (a,))
    c = dc.tensor(rng.normal(size=(2, 3)))  # an input that needs no grad
    assert gradcheck(lambda x: dc.cat([c, x], dim=1), (a,))


def test_split_gradcheck():
    x = leaf(np.random.default_rng(3).normal(size=(5, 2)))
    assert gradcheck(lambda t: t.split(2)[1] * 3, (x,))
