"""DLPack zero-copy exchange with numpy (and PyTorch when installed): round
trips, shared memory both ways, strides, lifetimes, dtype and capsule errors."""
import gc
import weakref

import numpy as np
import pytest

import deepcore as dc

DTYPES = [np.float32, np.float64, np.int64, np.bool_]


def sample(shape, dtype):
    x = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    return np.asarray((x % 2 == 1) if dtype is np.bool_ else (x * 1.5 - 3).astype(dtype))


# ------------------------------------------------------------ deepcore -> numpy
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 3), (5,), (3, 4), (2, 3, 4)])
def test_to_numpy_round_trip(dtype, shape):
    ref = sample(shape, dtype)
    t = dc.tensor(ref)
    n = np.from_dlpack(t)
    assert n.dtype == ref.dtype and n.shape == ref.shape
    np.testing.assert_array_equal(n, ref)
    if t.numel():
        assert n.ctypes.data == t.data_ptr()
    back = dc.from_dlpack(n)  # and into deepcore again: the same memory
    assert back.dtype == t.dtype and back.shape == t.shape
    np.testing.assert_array_equal(back.numpy(), ref)
    if t.numel():
        assert back.data_ptr() == t.data_ptr()


def test_to_numpy_shares_memory_both_ways():
    t = dc.zeros(2, 3)
    n = np.from_dlpack(t)
    n[1, 2] = 7.0
    assert t.numpy()[1, 2] == 7.0
    t.fill_(2.5)
    np.testing.assert_array_equal(n, np.full((2, 3), 2.5, np.float32))


def test_to_numpy_keeps_strides():
    base = dc.tensor(sample((3, 4, 5), np.float64))
    for view in (base.transpose(0, 2), base.permute(1, 2, 0), base.narrow(2, 1, 3),
                 dc.tensor(sample((1, 4), np.float64)).expand(3, 4)):
        n = np.from_dlpack(view)
        assert n.strides == tuple(s * 8 for s in view.stride())
        np.testing.assert_array_equal(n, view.numpy())
        assert n.ctypes.data == view.data_ptr()


def test_numpy_view_outlives_tensor():
    t = dc.tensor(sample((100,), np.float64))
    n = np.from_dlpack(t)
    del t
    gc.collect()
    np.testing.assert_array_equal(n, sample((100,), np.float64))


def test_exported_capsule_releases_memory():
    """The consumer's deleter (numpy's array going away) and the destructor of an
    unused capsule both release our reference to the storage."""
    src = sample((10,), np.float64)
    alive = weakref.ref(src)
    t = dc.from_numpy(src)       # the storage keeps src alive
    n = np.from_dlpack(t)
    del src, t
    gc.collect()
    assert alive() is not None
    np.testing.assert_array_equal(n, sample((10,), np.float64))
    del n
    gc.collect()
    assert alive() is None

    for max_version in (None, (1, 0)):
        src = sample((10,), np.float64)
        alive = weakref.ref(src)
        capsule = dc.from_numpy(src).__dlpack__(max_version=max_version)
        del src
        gc.collect()
        assert alive() is not None
        del capsule  # never consumed: its destructor calls the deleter
        gc.collect()
        assert alive() is None


@pytest.mark.parametrize("max_version,name", [(None, "dltensor"), ((1, 0), "dltensor_versioned"),
                                              ((1, 1), "dltensor_versioned"),
                                              ((0, 8), "dltensor")])
def test_capsule_kinds(max_version, name):
    t = dc.tensor(sample((2, 3), np.float32)).T
    capsule = t.__dlpack__(max_version=max_version)
    assert f'"{name}"' in repr(capsule)
    u = dc.from_dlpack(capsule)
    assert f'"used_{name}"' in repr(capsule)
    assert u.shape == t.shape and u.stride() == t.stride() and u.data_ptr() == t.data_ptr()
    np.testing.assert_array_equal(u.numpy(), t.numpy())


# ------------------------------------------------------------ numpy -> deepcore
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0), (7,), (3, 4), (2, 3, 4)])
def test_from_numpy_round_trip(dtype, shape):
    ref = sample(shape, dtype)
    t = dc.from_dlpack(ref)
    assert t.shape == ref.shape
    assert t.dtype == {np.float32: dc.float32, np.float64: dc.float64, np.int64: dc.int64,
                       np.bool_: dc.bool}[dtype]
    np.testing.assert_array_equal(t.numpy(), ref)
    if ref.size:
        assert t.data_ptr() == ref.ctypes.data


def test_from_numpy_shares_memory_both_ways():
    a = np.zeros((3, 2), np.float32)
    t = dc.from_dlpack(a)
    a[2, 1] = 4.0
    assert t.numpy()[2, 1] == 4.0
    t.fill_(1.5)
    np.testing.assert_array_equal(a, np.full((3, 2), 1.5, np.float32))


def test_from_numpy_non_contiguous():
    a = sample((4, 6, 5), np.float64)
    for view in (a.T, a[::2, 1:, ::3], a.transpose(1, 0, 2), a[:, 2]):
        t = dc.from_dlpack(view)
        assert t.shape == view.shape
        assert t.stride() == tuple(s // 8 for s in view.strides)
        np.testing.assert_array_equal(t.numpy(), view)
        assert t.data_ptr() == view.ctypes.data
        # Arithmetic on the strided view reads the right elements.
        np.testing.assert_array_equal((t + t).numpy(), view * 2)


def test_source_deleted_view_stays_valid():
    a = sample((50, 3), np.float64)
    alive = weakref.ref(a)
    t = dc.from_dlpack(a)
    del a
    gc.collect()
    assert alive() is not None      # our view holds numpy's managed tensor
    np.testing.assert_array_equal(t.numpy(), sample((50, 3), np.float64))
    del t
    gc.collect()
    assert alive() is None          # and calls its deleter when dropped


def test_versioned_capsule():
    a = sample((3, 4), np.float32)
    capsule = a.__dlpack__(max_version=(1, 0))
    t = dc.from_dlpack(capsule)
    np.testing.assert_array_equal(t.numpy(), a)
    assert t.data_ptr() == a.ctypes.data
    a[0, 0] = 42
    assert t.numpy()[0, 0] == 42


def test_capsule_used_once():
    capsule = np.ones(3).__dlpack__()
    t = dc.from_dlpack(capsule)
    np.testing.assert_array_equal(t.numpy(), np.ones(3))
    with pytest.raises(ValueError, match="from_dlpack: this DLPack capsule was already consumed"):
        dc.from_dlpack(capsule)


def test_deepcore_to_deepcore():
    t = dc.tensor(sample((3, 4), np.float32)).T
    u = dc.from_dlpack(t)
    assert u.shape == t.shape and u.stride() == t.stride() and u.data_ptr() == t.data_ptr()
    u.fill_(0.5)
    np.testing.assert_array_equal(t.numpy(), np.full((4, 3), 0.5, np.float32))


@pytest.mark.parametrize("dtype", [np.float16, np.int32, np.uint8, np.int8, np.complex64])
def test_unsupported_dtypes(dtype):
    a = np.zeros(3, dtype)
    with pytest.raises(TypeError, match="from_dlpack: DLPack dtype .* is not supported"):
        dc.from_dlpack(a)
    # The capsule was not consumed: the array is still intact and usable.
    np.testing.assert_array_equal(a, np.zeros(3, dtype))


def test_unsupported_dtype_names_it():
    with pytest.raises(TypeError, match="DLPack dtype float16 "):
        dc.from_dlpack(np.zeros(2, np.float16))
    with pytest.raises(TypeError, match="DLPack dtype int32 "):
        dc.from_dlpack(np.zeros(2, np.int32))


def test_not_a_capsule():
    with pytest.raises(TypeError, match="from_dlpack: expected an object with __dlpack__"):
        dc.from_dlpack(3)
    with pytest.raises(TypeError, match="from_dlpack: expected an object with __dlpack__"):
        dc.from_dlpack([1.0, 2.0])


# ------------------------------------------------------------ PyTorch
def test_torch_round_trip():
    torch = pytest.importorskip("torch")
    t = dc.tensor(sample((3, 4), np.float32))
    pt = torch.from_dlpack(t)
    assert pt.dtype == torch.float32 and tuple(pt.shape) == (3, 4)
    np.testing.assert_array_equal(pt.numpy(), t.numpy())
    pt[0, 0] = 9.0
    assert t.numpy()[0, 0] == 9.0
    tt = torch.from_dlpack(t.T)
    assert tt.stride() == t.T.stride()
    np.testing.assert_array_equal(tt.numpy(), t.T.numpy())


@pytest.mark.parametrize("name", ["float32", "float64", "int64", "bool"])
def test_from_torch(name):
    torch = pytest.importorskip("torch")
    src = torch.arange(12).reshape(3, 4)
    src = (src % 3 == 0) if name == "bool" else src.to(getattr(torch, name))
    for view in (src, src.t(), src[:, ::2]):
        t = dc.from_dlpack(view)
        assert t.dtype.name == name
        assert t.stride() == view.stride()
        np.testing.assert_array_equal(t.numpy(), view.numpy())
    t = dc.from_dlpack(src)
    src.zero_()
    assert not t.numpy().any()   # shared memory
    del src
    gc.collect()
    assert t.shape == (3, 4) and not t.numpy().any()


def test_from_torch_unsupported():
    torch = pytest.importorskip("torch")
    for dt in (torch.float16, torch.int32, torch.bfloat16):
        with pytest.raises(TypeError, match="from_dlpack: DLPack dtype"):
            dc.from_dlpack(torch.zeros(2, dtype=dt))
