"""GPU runtime: the caching allocator's counters, the stream-ordered copies,
and the clean errors of a machine (or build) without a GPU."""
import numpy as np
import pytest

import deepcore as dc
from deepcore import _C

needs_gpu = pytest.mark.skipif(not dc.cuda.is_available(), reason="needs a CUDA GPU")
no_gpu = pytest.mark.skipif(dc.cuda.is_available(), reason="checks the no-GPU behaviour")


@no_gpu
def test_counters_are_zero_without_gpu():
    assert dc.cuda.memory_allocated() == 0
    assert dc.cuda.max_memory_allocated(0) == 0
    assert dc.cuda.memory_reserved("cuda:0") == 0
    dc.cuda.empty_cache()  # a no-op, must not raise
    dc.cuda.reset_peak_memory_stats(dc.device("cuda"))
    assert _C.cuda_malloc_count() == 0


@no_gpu
def test_cuda_tensor_raises_without_gpu():
    with pytest.raises(RuntimeError, match="(?i)cuda"):
        dc.zeros(3, device="cuda")
    with pytest.raises(RuntimeError, match="(?i)cuda"):
        dc.tensor([1.0, 2.0]).cuda()


def test_memory_functions_reject_cpu_device():
    with pytest.raises(ValueError, match="cuda device"):
        dc.cuda.memory_allocated("cpu")


@needs_gpu
def test_cache_reuses_blocks():
    sizes = [1, 1000, 4096, 300_000, 3_000_000]
    counts = []
    for _ in range(4):
        ts = [dc.zeros(n, device="cuda") for n in sizes]
        del ts
        counts.append(_C.cuda_malloc_count())
    assert counts[1:] == [counts[0]] * 3, counts


@needs_gpu
def test_allocated_rises_and_falls():
    dc.cuda.synchronize()
    before = dc.cuda.memory_allocated()
    t = dc.zeros(1 << 20, device="cuda")  # 4 MiB of float32
    during = dc.cuda.memory_allocated()
    assert during - before >= 4 << 20
    assert dc.cuda.max_memory_allocated() >= during
    del t
    assert dc.cuda.memory_allocated() == before
    dc.cuda.reset_peak_memory_stats()
    assert dc.cuda.max_memory_allocated() == before


@needs_gpu
def test_empty_cache_drops_reserved():
    t = dc.zeros(8 << 20, device="cuda")
    del t
    reserved = dc.cuda.memory_reserved()
    assert reserved >= 32 << 20
    dc.cuda.empty_cache()
    assert dc.cuda.memory_reserved() <= reserved - (32 << 20)
    assert dc.cuda.memory_reserved() >= dc.cuda.memory_allocated()


@needs_gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_round_trip(dtype):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((5, 7)) * 10).astype(dtype)
    np.testing.assert_array_equal(dc.tensor(x).cuda().cpu().numpy(), x)
    nc = dc.tensor(x).t()  # a non-contiguous view
    np.testing.assert_array_equal(nc.cuda().cpu().numpy(), x.T)
    np.testing.assert_array_equal(dc.tensor(x)[:, ::2].cuda().cpu().numpy(), x[:, ::2])
