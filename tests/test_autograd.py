"""Autograd semantics: graph building, accumulation, modes, retain_grad, errors."""
import numpy as np
import pytest

import deepcore as dc
from deepcore.autograd import Function, gradcheck
from conftest import assert_close, leaf


def test_leaf_and_graph_attributes():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and y.requires_grad
    assert y.grad_fn.name() == "MulBackward"
    assert "grad_fn=<MulBackward>" in repr(y)
    assert isinstance(y.grad_fn.next_functions[0], dc.autograd.function.AccumulateGrad)
    z = dc.tensor([1.0, 2.0])
    assert (z * 2).grad_fn is None and not (z * 2).requires_grad


def test_diamond_accumulates_both_paths():
    x = dc.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = x * 2
    b = x * x
    y = a + b  # dy/dx = 2 + 2x
    y.backward(dc.ones(3))
    assert_close(x.grad, np.array([4.0, 6.0, 8.0], dtype=np.float32))


def test_same_tensor_twice_in_one_op():
    x = dc.tensor([3.0], requires_grad=True)
    (x * x).backward(dc.ones(1))
    assert_close(x.grad, np.array([6.0], dtype=np.float32))


def test_gradients_accumulate_across_backward_calls_until_zeroed():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).backward(dc.ones(2))
    (x * 3).backward(dc.ones(2))
    assert_close(x.grad, np.array([6.0, 6.0], dtype=np.float32))
    x.grad = None
    (x * 1).backward(dc.ones(2))
    assert_close(x.grad, np.array([1.0, 1.0], dtype=np.float32))


def test_leaf_grads_are_not_aliased():
    a = dc.tensor([1.0], requires_grad=True)
    b = dc.tensor([2.0], requires_grad=True)
    (a + b).backward(dc.ones(1))
    a.grad.zero_()
    assert_close(b.grad, np.array([1.0], dtype=np.float32))


class PassThrough(Function):
    """Backward hands back the very tensor it was given."""

    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, grad):
        return grad


class OneGradTwice(Function):
    """Backward makes one new tensor for both inputs and keeps it: handed
    out as the same object, or (views=True) as two views of it."""

    @staticmethod
    def forward(ctx, a, b, views):
        ctx.views = views
        return a + b

    @staticmethod
    def backward(ctx, grad):
        r = grad * 2
        ctx.kept = r
        if ctx.views:
            return r.reshape(2), r.reshape(2), None
        return r, r, None


def test_leaf_grad_never_aliases_the_seed_or_another_tensor():
    """Leaves keep a gradient without copying it only when nothing else can
    reach its memory (autograd/engine.py): never the caller's seed, a tensor
    handed to two leaves (as one object or as views) or one a backward kept."""
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    g = dc.tensor([3.0, 4.0])
    PassThrough.apply(x).backward(g)
    g.zero_()
    assert_close(x.grad, np.array([3.0, 4.0], dtype=np.float32))
    x.grad = None
    x.backward(g)  # a leaf as the root: its gradient is the seed, copied
    g.fill_(5.0)
    assert_close(x.grad, np.zeros(2, dtype=np.float32))

    for views in (False, True):
        a = dc.tensor([1.0, 2.0], requires_grad=True)
        b = dc.tensor([1.0, 2.0], requires_grad=True)
        y = OneGradTwice.apply(a, b, views)
        y.backward(dc.ones(2), retain_graph=True)  # the node and its kept tensor stay
        a.grad.zero_()
        assert_close(b.grad, np.array([2.0, 2.0], dtype=np.float32))
        assert_close(y.grad_fn.kept, np.array([2.0, 2.0], dtype=np.float32))


def test_fresh_leaf_gradients_are_kept_without_a_copy(monkeypatch):
    """The gradients an op's backward makes become the leaves' .grad as they
    are (as in PyTorch): no clone, which would cost a pass over each."""
    clones = []
    real_clone = dc.Tensor.clone
    monkeypatch.setattr(dc.Tensor, "clone", lambda t: clones.append(t) or real_clone(t))
    x = dc.tensor(np.ones((4, 3), np.float32), requires_grad=True)
    w = dc.tensor(np.full((3, 5), 2.0, np.float32), requires_grad=True)
    (x @ w).relu().sum().backward()
    assert clones == []
    assert_close(x.grad, np.full((4, 3), 10.0, dtype=np.float32))
    assert_close(w.grad, np.full((3, 5), 4.0, dtype=np.float32))
    (x @ w).sum().backward()  # accumulation adds into a new tensor, as before
    assert clones == []
    assert_close(x.grad, np.full((4, 3), 20.0, dtype=np.float32))


def test_non_scalar_backward_needs_gradient():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\)"):
        (x * 2).backward(dc.ones(3))
    (x * 2).backward(dc.tensor([1.0, -1.0]))
    assert_close(x.grad, np.array([2.0, -2.0], dtype=np.float32))


def test_scalar_backward_without_gradient():
    x = dc.tensor(2.0, requires_grad=True)
    (x * x * x).backward()
    assert_close(x.grad, np.array(12.0, dtype=np.float32))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        dc.ones(1).backward()


def test_second_backward_through_freed_graph_raises():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.backward(dc.ones(2))
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward(dc.ones(2))


def test_retain_graph_allows_second_backward():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.backward(dc.ones(2), retain_graph=True)
    y.backward(dc.ones(2))
    assert_close(x.grad, np.array([4.0, 8.0], dtype=np.float32))


def test_no_grad_context_and_decorator():
    x = dc.tensor([1.0], requires_grad=True)
    with dc.no_grad():
        y = x * 2
        assert not dc.is_grad_enabled()
    assert dc.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None

    @dc.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    with dc.no_grad():
        with dc.enable_grad():
            assert (x * 2).requires_grad
    with dc.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


def test_no_grad_restores_mode_after_exception():
    with pytest.raises(ValueError):
        with dc.no_grad():
            raise ValueError("boom")
    assert dc.is_grad_enabled()


def test_grad_mode_is_per_thread():
    import threading
    x = dc.tensor([1.0], requires_grad=True)
    seen = {}

    def other():
        seen["enabled"] = dc.is_grad_enabled()
        seen["records"] = (x * 2).requires_grad
        with dc.no_grad():
            seen["inner"] = dc.is_grad_enabled()

    with dc.no_grad():  # switched off here only
        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert not dc.is_grad_enabled()
    assert seen == {"enabled": True, "records": True, "inner": False}
    assert dc.is_grad_enabled()


def test_detach_shares_memory_and_cuts_graph():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    y = x.detach()
    y.numpy()[0] = 5.0
    assert x.detach().numpy()[0] == 5.0
    z = x * 2 + x.detach() * 10  # the detached path contributes nothing
    z.backward(dc.ones(2))
    assert_close(x.grad, np.array([2.0, 2.0], dtype=np.float32))


def test_retain_grad_on_intermediate():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    y = h * h
    y.backward(dc.ones(2))
    assert h.retains_grad
    assert_close(h.grad, np.array([6.0, 12.0], dtype=np.float32))
    assert_close(x.grad, np.array([18.0, 36.0], dtype=np.float32))
    h2 = x * 2
    h2.backward(dc.ones(2))
    assert h2.grad is None  # not retained


def test_requires_grad_rules():
    with pytest.raises(RuntimeError, match="floating point"):
        dc.tensor([1, 2], requires_grad=True)
    x = dc.ones(2, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False
    z = dc.ones(2)
    z.requires_grad_()
    assert z.requires_grad and z.is_leaf


def test_numpy_of_tensor_requiring_grad_raises():
    x = dc.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    np.testing.assert_array_equal(x.detach().numpy(), [1, 1])


def test_long_chain_does_not_hit_recursion_limit():
    x = dc.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(10000):
        y = y * 1.0 + 0.0
    y.backward(dc.ones(1))
    assert_close(x.grad, np.array([1.0], dtype=np.float32))


def test_integer_outputs_carry_no_grad():
    x = dc.tensor([1.0, -1.0], requires_grad=True)
    assert not (x > 0).requires_grad


def test_grad_dtype_follows_input():
    x = dc.tensor([1.0, 2.0], dtype=dc.float64, requires_grad=True)
    (x * x).backward(dc.ones(2, dtype=dc.float64))
    assert x.grad.dtype == dc.float64
    with pytest.raises(TypeError, match="dtype"):
        (x * x).backward(dc.ones(2))


class Cube(Function):
    """A user-defined Function, as a learner would write one."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * 3 * x * x


def test_custom_function_and_gradcheck():
    x = leaf(np.array([0.5, -1.5, 2.0]))
    y = Cube.apply(x)
    assert y.grad_fn.name() == "CubeBackward"
    assert gradcheck(Cube.apply, (x,))


class WrongCube(Cube):
    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * 2 * x * x


def test_gradcheck_reports_wrong_gradient():
    x = leaf(np.array([0.5, -1.5, 2.0]))
    with pytest.raises(RuntimeError, match=r"gradcheck: Jacobian mismatch .* input 0 element \(\d,\)"):
        gradcheck(WrongCube.apply, (x,))
    assert gradcheck(WrongCube.apply, (x,), raise_exception=False) is False


def test_gradcheck_requires_float64():
    x = dc.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda t: t * 2, (x,))


def test_data_attribute():
    x = dc.ones(2, requires_grad=True)
    d = x.data
    assert not d.requires_grad
    d.fill_(4.0)
    np.testing.assert_array_equal(x.detach().numpy(), [4, 4])


@pytest.mark.parametrize("op", [lambda t: t.exp(), lambda t: t.relu(), lambda t: t.tanh(),
                                lambda t: t.sqrt(), lambda t: dc.nn.functional.softmax(t, 0)])
def test_ops_saving_their_output_leave_no_reference_cycle(op):
    # out -> grad_fn -> saved out would keep every output of a forward with
    # grad on (evaluation, timing) alive until the garbage collector ran.
    import gc
    import weakref
    x = dc.tensor([0.5, 1.0, 2.0], requires_grad=True)
    gc.disable()
    try:
        y = op(x)
        assert y.grad_fn is not None
        ref = weakref.ref(y)
        del y
        assert ref() is None
    finally:
        gc.enable()
    # The saved alias still gives the right gradient.
    assert gradcheck(lambda t: op(t).sum(), (leaf(np.array([0.5, 1.0, 2.0])),))


def test_in_place_change_of_a_saved_output_is_still_detected():
    x = dc.tensor([0.5, 1.0, 2.0], requires_grad=True)
    y = x.exp()
    with dc.no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()
