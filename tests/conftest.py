"""Shared test helpers: random inputs as numpy arrays and matching tensors."""
import numpy as np
import pytest

import deepcore as dc

DTYPES = {"float32": (dc.float32, np.float32), "float64": (dc.float64, np.float64),
          "int64": (dc.int64, np.int64), "bool": (dc.bool, np.bool_)}


def make(shape, dtype="float64", low=-2.0, high=2.0, seed=0, noncontig=False):
    """(numpy array, tensor) with the same values; noncontig gives a transposed view."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        a = rng.random(shape) > 0.5
    elif dtype == "int64":
        a = rng.integers(-5, 6, size=shape).astype(np.int64)
    else:
        a = rng.uniform(low, high, size=shape).astype(DTYPES[dtype][1])
    if noncontig and a.ndim >= 2:
        base = np.ascontiguousarray(np.swapaxes(a, -1, -2))
        t = dc.tensor(base).transpose(-1, -2)
        assert not t.is_contiguous()
        return a, t
    return a, dc.tensor(a)


def pytest_addoption(parser):
    parser.addoption("--device", default="cpu", choices=("cpu", "cuda"),
                     help="device the tests create their tensors on (cuda needs a GPU)")


def pytest_configure(config):
    if config.getoption("--device") != "cuda":
        return
    if not dc.cuda.is_available():
        raise pytest.UsageError("--device cuda: no CUDA GPU is available")
    dc.set_default_device("cuda")
    # Tests read results with .numpy(), np.asarray() and .tolist(), which only
    # a CPU tensor allows: in a GPU run they read through a copy to the host.
    cls = dc.Tensor
    numpy, array = cls.numpy, cls.__array__

    def host(t):
        return t.cpu() if t.device.type == "cuda" else t

    cls.numpy = lambda t, *, force=False: numpy(host(t), force=force)
    cls.__array__ = lambda t, dtype=None, copy=None: array(host(t), dtype, copy)


def device():
    """The device the tests run on (pytest --device, default cpu)."""
    return dc.get_default_device()


needs_gpu = pytest.mark.skipif(not dc.cuda.is_available(), reason="needs a CUDA GPU")


def same(g, c, rtol=1e-6, atol=1e-6):
    """GPU tensor g equals CPU tensor c: shape, dtype and values (exact for
    bool/int, NaN == NaN)."""
    assert g.device.type == "cuda", g.device
    assert c.device.type == "cpu", c.device
    assert g.dtype == c.dtype, (g.dtype, c.dtype)
    assert tuple(g.shape) == tuple(c.shape), (g.shape, c.shape)
    gn, cn = g.detach().cpu().numpy(), c.detach().numpy()
    if cn.dtype.kind in "biu":
        np.testing.assert_array_equal(gn, cn)
    else:
        np.testing.assert_allclose(gn, cn, rtol=rtol, atol=atol, equal_nan=True)


# What "bad input never crashes" allows: any Python exception of these types.
PYTHON_ERRORS = (TypeError, ValueError, RuntimeError, IndexError, NotImplementedError,
                 OverflowError)


def call_allowing_errors(fn, *args, **kwargs):
    """fn's result, or None when it raised one of PYTHON_ERRORS (a crash or any
    other exception still fails the test)."""
    try:
        return fn(*args, **kwargs)
    except PYTHON_ERRORS:
        return None


def leaf(a):
    """A float64 leaf tensor requiring grad, for gradcheck."""
    return dc.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def assert_close(t, expected, rtol=1e-6, atol=1e-6, dtype=None):
    """Tensor t equals numpy `expected` in shape, dtype (if given) and values."""
    assert isinstance(t, dc.Tensor), type(t)
    got = t.detach().numpy()
    expected = np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    if dtype is not None:
        assert t.dtype == dtype, (t.dtype, dtype)
    if expected.dtype.kind in "biu":
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)


@pytest.fixture(autouse=True)
def _restore_global_state():
    """Tests may change threads or the seed; put them back."""
    threads = dc.get_num_threads()
    yield
    dc.set_num_threads(threads)
    dc.autograd.grad_mode.state.enabled = True


def available_isas():
    """The builds of the float32 softmax / cross-entropy / im2col kernels this CPU runs."""
    from deepcore import _C
    out = []
    try:
        for name in ("portable", "avx2", "avx512"):
            _C._set_isa_cap(name)
            if _C._isa_level() == name:
                out.append(name)
    finally:
        _C._set_isa_cap("avx512")
    return out
