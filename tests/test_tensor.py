"""Tensor creation, attributes, conversions, numpy interop, devices, printing, seeds."""
import numpy as np
import pytest

import deepcore as dc
from conftest import assert_close


def test_tensor_dtype_inference():
    assert dc.tensor([1.0, 2.0]).dtype == dc.float32
    assert dc.tensor([1, 2]).dtype == dc.int64
    assert dc.tensor([True, False]).dtype == dc.bool
    assert dc.tensor(3.5).dtype == dc.float32 and dc.tensor(3.5).shape == ()
    assert dc.tensor([[1, 2], [3, 4]], dtype=dc.float64).dtype == dc.float64
    assert dc.tensor(np.zeros(2, dtype=np.float64)).dtype == dc.float64
    assert dc.tensor(np.zeros(2, dtype=np.int32)).dtype == dc.int64
    assert dc.tensor([]).shape == (0,)
    assert dc.tensor([[]]).shape == (1, 0)


def test_tensor_numpy_scalars_keep_their_dtype():
    # As torch.tensor: a numpy scalar is typed data, unlike a Python float.
    t = dc.tensor(np.float64(0.1))
    assert t.dtype == dc.float64 and t.shape == () and t.item() == 0.1
    assert dc.tensor(np.float32(2.5)).dtype == dc.float32
    assert dc.tensor(np.int32(7)).dtype == dc.int64 and dc.tensor(np.int32(7)).item() == 7
    assert dc.tensor(np.bool_(True)).dtype == dc.bool
    assert dc.tensor(np.float64(1.5), dtype=dc.float32).dtype == dc.float32


def test_tensor_copies_and_from_numpy_shares():
    a = np.arange(6.0).reshape(2, 3)
    t = dc.tensor(a)
    s = dc.from_numpy(a)
    a[0, 0] = 100.0
    assert t.numpy()[0, 0] == 0.0
    assert s.numpy()[0, 0] == 100.0
    s.numpy()[1, 2] = -1.0
    assert a[1, 2] == -1.0
    # non-contiguous numpy arrays are shared too, with their strides
    v = dc.from_numpy(a.T)
    assert v.shape == (3, 2) and not v.is_contiguous()
    np.testing.assert_array_equal(v.numpy(), a.T)


def test_from_numpy_lifetime():
    t = dc.from_numpy(np.arange(5.0))
    import gc
    gc.collect()
    np.testing.assert_array_equal(t.numpy(), np.arange(5.0))


def test_from_numpy_errors():
    with pytest.raises(TypeError, match="from_numpy: numpy dtype int32 is not supported"):
        dc.from_numpy(np.zeros(2, dtype=np.int32))
    with pytest.raises(ValueError, match="from_numpy: numpy strides"):
        dc.from_numpy(np.arange(4.0)[::-1])
    with pytest.raises(TypeError, match="expected a numpy.ndarray"):
        dc.from_numpy([1, 2])


def test_tensor_creation_errors():
    with pytest.raises(ValueError, match="tensor: could not build"):
        dc.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="tensor"):
        dc.tensor(["a", object()])
    with pytest.raises(TypeError, match="not supported"):
        dc.tensor([1, 2], dtype=np.complex64)


def test_zeros_ones_full_empty():
    assert_close(dc.zeros(2, 3), np.zeros((2, 3), dtype=np.float32))
    assert_close(dc.ones((2, 3), dtype=dc.int64), np.ones((2, 3), dtype=np.int64))
    assert_close(dc.full((2,), 7), np.array([7, 7]), dtype=dc.int64)
    assert_close(dc.full((2,), 7.5), np.array([7.5, 7.5], dtype=np.float32))
    assert dc.full((2,), True).dtype == dc.bool
    assert dc.empty(4, 5).shape == (4, 5)
    assert dc.zeros(()).shape == ()
    assert dc.zeros(0).shape == (0,)
    x = dc.ones(2, 3, dtype=dc.float64)
    assert_close(dc.zeros_like(x), np.zeros((2, 3)), dtype=dc.float64)
    assert_close(dc.ones_like(x, dtype=dc.int64), np.ones((2, 3), dtype=np.int64))
    assert_close(dc.full_like(x, 2.0), np.full((2, 3), 2.0))
    assert dc.ones(2, requires_grad=True).requires_grad


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match=r"negative dimension -1 in shape \(2, -1\)"):
        dc.zeros(2, -1)
    with pytest.raises(RuntimeError, match="too many elements"):
        dc.zeros(2 ** 40, 2 ** 40)
    with pytest.raises(ValueError, match="too many dimensions"):
        dc.zeros(*([1] * 65))
    with pytest.raises(TypeError, match="size must be"):
        dc.zeros(2.5)
    with pytest.raises(TypeError, match="size must be"):
        dc.ones("abc")


def test_arange_linspace_eye():
    assert_close(dc.arange(5), np.arange(5), dtype=dc.int64)
    assert_close(dc.arange(1, 10, 3), np.arange(1, 10, 3))
    assert_close(dc.arange(0.0, 1.0, 0.25), np.arange(0, 1, 0.25, dtype=np.float32),
                 dtype=dc.float32)
    assert_close(dc.arange(5, 0, -2), np.arange(5, 0, -2))
    assert dc.arange(3, 3).shape == (0,)
    assert_close(dc.linspace(0, 1, 5), np.linspace(0, 1, 5, dtype=np.float32))
    assert_close(dc.eye(3), np.eye(3, dtype=np.float32))
    with pytest.raises(ValueError, match="arange: step must be nonzero"):
        dc.arange(0, 3, 0)
    with pytest.raises(ValueError, match="arange: start, stop and step must be finite"):
        dc.arange(0, float("inf"))


def test_random_is_seeded_and_reproducible():
    dc.manual_seed(123)
    a = dc.rand(1000)
    b = dc.randn(1000, dtype=dc.float64)
    c = dc.randint(0, 10, (1000,))
    dc.manual_seed(123)
    np.testing.assert_array_equal(dc.rand(1000).numpy(), a.numpy())
    np.testing.assert_array_equal(dc.randn(1000, dtype=dc.float64).numpy(), b.numpy())
    np.testing.assert_array_equal(dc.randint(0, 10, (1000,)).numpy(), c.numpy())
    dc.manual_seed(124)
    assert not np.array_equal(dc.rand(1000).numpy(), a.numpy())


def test_random_does_not_depend_on_threads():
    out = []
    for n in (1, 2):
        dc.set_num_threads(n)
        dc.manual_seed(7)
        out.append(dc.randn(200000).numpy())
    np.testing.assert_array_equal(out[0], out[1])


def test_random_distributions():
    dc.manual_seed(0)
    u = dc.rand(200000, dtype=dc.float64).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.005 and abs(u.var() - 1 / 12) < 0.002
    n = dc.randn(200000).numpy()
    assert abs(n.mean()) < 0.01 and abs(n.std() - 1.0) < 0.01
    r = dc.randint(-3, 4, (100000,)).numpy()
    assert r.min() == -3 and r.max() == 3
    assert np.all(np.abs(np.bincount(r + 3) / 100000 - 1 / 7) < 0.01)
    assert dc.randint(5, (3,)).numpy().max() < 5


def test_rng_state_roundtrip():
    dc.manual_seed(5)
    state = dc.get_rng_state()
    a = dc.rand(10).numpy()
    dc.set_rng_state(state)
    np.testing.assert_array_equal(dc.rand(10).numpy(), a)


def test_random_errors():
    with pytest.raises(ValueError, match="randint: expected low < high"):
        dc.randint(5, 5, (2,))
    with pytest.raises(TypeError, match="rand: expected a floating dtype"):
        dc.rand(2, dtype=dc.int64)


def test_attributes():
    t = dc.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.size() == (2, 3, 4)
    assert t.size(1) == 3 and t.size(-1) == 4
    assert t.ndim == 3 and t.dim() == 3
    assert t.numel() == 24
    assert str(t.device) == "cpu" and t.device == "cpu" and t.device == dc.device("cpu")
    assert t.dtype is dc.float32 and repr(t.dtype) == "deepcore.float32"
    assert t.element_size() == 4
    with pytest.raises(IndexError, match="size: dimension out of range"):
        t.size(3)


def test_conversions():
    t = dc.tensor([1.5, -2.5])
    assert t.double().dtype == dc.float64
    assert_close(t.long(), np.array([1, -2]))
    assert_close(t.bool(), np.array([True, True]))
    assert t.to(dc.float64).dtype == dc.float64
    assert t.to("cpu") is t
    assert t.to(dc.float32) is t
    assert t.float() is t
    assert dc.tensor(2.5).item() == 2.5 and isinstance(dc.tensor(2).item(), int)
    assert dc.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert float(dc.tensor([2.5])) == 2.5 and int(dc.tensor(3)) == 3
    assert bool(dc.tensor(True)) is True
    np.testing.assert_array_equal(np.asarray(dc.tensor([1, 2])), [1, 2])
    with pytest.raises(ValueError, match="item: a tensor with 2 elements"):
        t.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(t)
    with pytest.raises(TypeError, match="to: expected"):
        t.to(3)


def test_cuda_requests_fail_cleanly_without_gpu():
    if dc.cuda.is_available():
        pytest.skip("a GPU is present: the CUDA tests cover this")
    assert dc.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="cuda|CUDA"):
        dc.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="cuda|CUDA"):
        dc.ones(2).cuda()
    with pytest.raises(ValueError, match="device"):
        dc.zeros(2, device="tpu")


def test_threads_setting():
    dc.set_num_threads(1)
    assert dc.get_num_threads() == 1
    dc.set_num_threads(2)
    assert dc.get_num_threads() == 2
    with pytest.raises(ValueError, match="set_num_threads: expected a positive"):
        dc.set_num_threads(0)
    with pytest.raises(TypeError, match="set_num_threads"):
        dc.set_num_threads(1.5)


def test_repr_looks_like_pytorch():
    assert repr(dc.tensor([1.0, 2.5])) == "tensor([1.0000, 2.5000])"
    assert repr(dc.tensor([[1.0, 2.0], [3.0, 4.0]])) == "tensor([[1., 2.],\n        [3., 4.]])"
    assert repr(dc.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(dc.tensor(3.0)) == "tensor(3.)"
    assert repr(dc.tensor([1.0], dtype=dc.float64)) == "tensor([1.], dtype=deepcore.float64)"
    assert repr(dc.ones(1, requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(dc.tensor([True, False])) == "tensor([ True, False])"
    assert "size=(0, 3)" in repr(dc.zeros(0, 3))


def test_tensors_are_not_picklable_but_hashable():
    import pickle
    t = dc.ones(2)
    with pytest.raises(TypeError, match="dc.save"):
        pickle.dumps(t)
    assert {t: 1}[t] == 1
