"""dc.nn.init: bounds, moments, fans and gains as PyTorch computes them."""
import math

import numpy as np
import pytest

import deepcore as dc
from deepcore.nn import init


def test_calculate_gain():
    assert init.calculate_gain("linear") == 1.0
    assert init.calculate_gain("conv2d") == 1.0
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_fans():
    assert init._calculate_fan_in_and_fan_out(dc.empty(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(dc.empty(16, 3, 5, 5)) == (75, 400)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(dc.empty(5))


def test_in_place_and_returns_tensor():
    t = dc.empty(3, 4)
    assert init.zeros_(t) is t and not t.numpy().any()
    assert init.ones_(t) is t and (t.numpy() == 1).all()
    assert init.constant_(t, 0.5) is t and (t.numpy() == 0.5).all()
    init.eye_(t)
    np.testing.assert_array_equal(t.numpy(), np.eye(3, 4))
    p = dc.nn.Parameter(dc.empty(3, 4))  # works on leaves requiring grad
    init.uniform_(p)
    assert p.requires_grad


def test_uniform_and_normal_moments():
    dc.manual_seed(0)
    t = init.uniform_(dc.empty(200, 500), -2.0, 3.0).numpy()
    assert t.min() >= -2.0 and t.max() < 3.0
    assert abs(t.mean() - 0.5) < 0.02 and abs(t.var() - 25 / 12) < 0.03
    n = init.normal_(dc.empty(200, 500, dtype=dc.float64), 1.0, 2.0).numpy()
    assert abs(n.mean() - 1.0) < 0.02 and abs(n.std() - 2.0) < 0.02
    with pytest.raises(ValueError, match="a <= b"):
        init.uniform_(dc.empty(2), 1.0, 0.0)


@pytest.mark.parametrize("shape", [(300, 200), (64, 32, 3, 3)])
def test_xavier(shape):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(dc.empty(*shape))
    u = init.xavier_uniform_(dc.empty(*shape), gain=2.0).numpy()
    bound = 2.0 * math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(u).max() <= bound and np.abs(u).max() > 0.95 * bound
    n = init.xavier_normal_(dc.empty(*shape)).numpy()
    assert abs(n.std() - math.sqrt(2 / (fan_in + fan_out))) < 0.03 * n.std()


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming(mode):
    shape = (128, 64, 3, 3)
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(dc.empty(*shape))
    fan = fan_in if mode == "fan_in" else fan_out
    u = init.kaiming_uniform_(dc.empty(*shape), a=0, mode=mode, nonlinearity="relu").numpy()
    bound = math.sqrt(2) * math.sqrt(3 / fan)
    assert np.abs(u).max() <= bound and np.abs(u).max() > 0.95 * bound
    n = init.kaiming_normal_(dc.empty(*shape), mode=mode, nonlinearity="relu").numpy()
    assert abs(n.std() - math.sqrt(2 / fan)) < 0.02 * math.sqrt(2 / fan)
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_uniform_(dc.empty(2, 2), mode="fan_avg")


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 2, 3)])
def test_orthogonal(shape):
    t = init.orthogonal_(dc.empty(*shape, dtype=dc.float64), gain=1.5).numpy()
    m = t.reshape(shape[0], -1)
    small = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(small, 1.5 ** 2 * np.eye(small.shape[0]), atol=1e-10)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(dc.empty(3))


def test_dtype_and_type_errors():
    with pytest.raises(TypeError, match="floating point"):
        init.uniform_(dc.zeros(2, dtype=dc.int64))
    with pytest.raises(TypeError, match="expected a Tensor"):
        init.normal_(np.zeros(2))


def test_init_is_seeded():
    dc.manual_seed(42)
    a = init.kaiming_uniform_(dc.empty(10, 10)).numpy()
    dc.manual_seed(42)
    np.testing.assert_array_equal(init.kaiming_uniform_(dc.empty(10, 10)).numpy(), a)
