"""dc.nn.Module machinery, containers, Linear, Flatten, utils."""
import math
from collections import OrderedDict

import numpy as np
import pytest

import deepcore as dc
from deepcore import nn
from deepcore.autograd import gradcheck
from conftest import assert_close


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.fc2 = nn.Linear(3, 2, bias=False)
        self.register_buffer("steps", dc.zeros(1, dtype=dc.int64))
        self.register_buffer("scratch", dc.zeros(2), persistent=False)
        self.scale = 2.0  # a plain attribute

    def forward(self, x):
        return self.fc2(dc.relu(self.fc1(x))) * self.scale


def test_registration_and_traversal():
    m = TwoLayer()
    assert [n for n, _ in m.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight"]
    assert len(list(m.parameters())) == 3
    assert [n for n, _ in m.named_buffers()] == ["steps", "scratch"]
    assert [n for n, _ in m.named_children()] == ["fc1", "fc2"]
    assert [type(x).__name__ for x in m.modules()] == ["TwoLayer", "Linear", "Linear"]
    assert m.fc2.bias is None
    assert m.scale == 2.0 and "scale" not in m.state_dict()
    # own parameters and buffers first, then children (PyTorch's order)
    assert list(m.state_dict()) == ["steps", "fc1.weight", "fc1.bias", "fc2.weight"]
    with pytest.raises(AttributeError, match="'TwoLayer' object has no attribute 'nope'"):
        m.nope


def test_shared_parameters_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.Identity(), lin)
    assert len(list(seq.parameters())) == 2


def test_assignment_rules():
    m = TwoLayer()
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        m.fc1.weight = dc.ones(3, 4)
    m.fc1.weight = nn.Parameter(dc.ones(3, 4))
    assert_close(m.fc1.weight, np.ones((3, 4), dtype=np.float32))
    with pytest.raises(TypeError, match="buffer 'steps'"):
        m.steps = 3
    with pytest.raises(KeyError):
        m.register_buffer("a.b", dc.ones(1))
    with pytest.raises(TypeError, match="register_parameter"):
        m.register_parameter("w", dc.ones(1))

    class Forgot(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(dc.ones(1))

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Forgot()


def test_forward_backward_and_zero_grad():
    dc.manual_seed(0)
    m = TwoLayer()
    x = dc.randn(5, 4)
    m(x).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m(x).sum().backward()
    m.zero_grad(set_to_none=False)
    assert all(not p.grad.numpy().any() for p in m.parameters())


def test_train_eval_flags():
    m = TwoLayer()
    assert m.training and m.fc1.training
    m.eval()
    assert not m.training and not m.fc1.training
    m.train()
    assert m.fc2.training


def test_state_dict_round_trip_and_errors():
    dc.manual_seed(1)
    a, b = TwoLayer(), TwoLayer()
    x = dc.randn(3, 4)
    assert not np.allclose(a(x).detach().numpy(), b(x).detach().numpy())
    weight = b.fc1.weight
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b.fc1.weight is weight  # loaded in place: optimisers keep their references
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())
    # state_dict values are detached copies of the references, not the parameters
    assert not a.state_dict()["fc1.weight"].requires_grad
    sd = a.state_dict()
    sd["fc1.weight"] = dc.zeros(2, 4)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight: copying a param "
                                           r"with shape \(2, 4\)"):
        b.load_state_dict(sd)
    sd = a.state_dict()
    del sd["fc2.weight"]
    sd["extra"] = dc.ones(1)
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "fc2.weight"'):
        b.load_state_dict(sd)
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "extra"'):
        b.load_state_dict(sd)
    keys = b.load_state_dict(sd, strict=False)
    assert keys.missing_keys == ["fc2.weight"] and keys.unexpected_keys == ["extra"]
    with pytest.raises(TypeError, match="expected a dict"):
        b.load_state_dict([1, 2])


def test_to_dtype_keeps_parameter_objects():
    m = TwoLayer()
    w = m.fc1.weight
    m.double()
    assert m.fc1.weight is w and w.dtype == dc.float64
    assert m.steps.dtype == dc.int64
    assert m(dc.randn(2, 4, dtype=dc.float64)).dtype == dc.float64
    m.to(dc.float32)
    assert w.dtype == dc.float32
    if not dc.cuda.is_available():
        with pytest.raises(RuntimeError, match="cuda|CUDA"):
            m.to("cuda")


def test_repr():
    m = nn.Sequential(nn.Linear(2, 3), nn.Flatten())
    assert repr(m) == ("Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n"
                       "  (1): Flatten(start_dim=1, end_dim=-1)\n)")
    assert repr(TwoLayer()).startswith("TwoLayer(\n  (fc1): Linear(")


def test_sequential_and_modulelist():
    l1, l2, l3 = nn.Linear(2, 3), nn.Linear(3, 3), nn.Linear(3, 1)
    seq = nn.Sequential(l1, l2, l3)
    assert len(seq) == 3 and seq[0] is l1 and seq[-1] is l3
    assert isinstance(seq[1:], nn.Sequential) and len(seq[1:]) == 2
    x = dc.randn(4, 2)
    assert_close(seq(x), l3(l2(l1(x))).detach().numpy())
    named = nn.Sequential(OrderedDict([("inp", l1), ("out", l2)]))
    assert [n for n, _ in named.named_children()] == ["inp", "out"]
    with pytest.raises(IndexError, match="Sequential: index 5"):
        seq[5]
    ml = nn.ModuleList([l1, l2])
    ml.append(l3)
    assert len(ml) == 3 and ml[2] is l3
    assert len(list(ml.parameters())) == 6
    ml.insert(0, nn.Linear(1, 2))
    assert ml[1] is l1
    del ml[0]
    assert ml[0] is l1
    with pytest.raises(NotImplementedError):
        ml(x)


def test_linear_forward_matches_formula_and_gradcheck():
    lin = nn.Linear(4, 3).double()
    x = dc.randn(5, 4, dtype=dc.float64)
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    assert_close(lin(x), x.numpy() @ w.T + b, rtol=1e-12)
    x3 = dc.randn(2, 6, 4, dtype=dc.float64)
    assert_close(lin(x3), x3.numpy() @ w.T + b, rtol=1e-12)
    xg = dc.randn(3, 4, dtype=dc.float64, requires_grad=True)
    assert gradcheck(lambda t, W, B: dc.nn.functional.linear(t, W, B), (xg, lin.weight, lin.bias))


def test_linear_default_init_bounds():
    dc.manual_seed(3)
    lin = nn.Linear(100, 50)
    bound = 1 / math.sqrt(100)
    w = lin.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(lin.bias.detach().numpy()).max() <= bound
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(-1, 2)


def test_flatten_module():
    x = dc.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)


def test_clip_grad_norm_and_value():
    a = nn.Parameter(dc.tensor([3.0, 0.0]))
    b = nn.Parameter(dc.tensor([0.0, 4.0]))
    a.grad = dc.tensor([3.0, 0.0])
    b.grad = dc.tensor([0.0, 4.0])
    total = nn.utils.clip_grad_norm_([a, b], 1.0)
    assert abs(total.item() - 5.0) < 1e-6
    np.testing.assert_allclose(a.grad.numpy(), [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), [0.0, 0.8], rtol=1e-5)
    total = nn.utils.clip_grad_norm_([a, b], 10.0)  # already small: unchanged
    np.testing.assert_allclose(a.grad.numpy(), [0.6, 0.0], rtol=1e-5)
    a.grad = dc.tensor([-3.0, 0.5])
    nn.utils.clip_grad_value_([a], 1.0)
    np.testing.assert_allclose(a.grad.numpy(), [-1.0, 0.5])
    a.grad = dc.tensor([float("nan"), 0.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([a], 1.0, error_if_nonfinite=True)
    a.grad = dc.tensor([3.0, -4.0])
    assert abs(nn.utils.clip_grad_norm_([a], 100.0, norm_type=float("inf")).item() - 4.0) < 1e-6


def test_parameters_to_vector_round_trip():
    m = TwoLayer()
    v = nn.utils.parameters_to_vector(m.parameters())
    assert v.shape == (4 * 3 + 3 + 3 * 2,)
    nn.utils.vector_to_parameters(dc.zeros(v.shape), m.parameters())
    assert all(not p.detach().numpy().any() for p in m.parameters())
    with pytest.raises(ValueError, match="has 3 elements"):
        nn.utils.vector_to_parameters(dc.zeros(3), m.parameters())
