"""The CPU cache of freed large blocks (csrc/core/storage.cpp): reuse by size,
correct values after reuse, a bound on idle bytes, and release."""
import gc

import numpy as np

import deepcore as dc
from deepcore import _C

MIB = 1 << 20


def _fresh():
    gc.collect()
    _C._cpu_empty_cache()
    assert _C._cpu_cached_bytes() == 0


def test_freed_large_block_is_kept_and_reused():
    _fresh()
    x = dc.randn(1024, 1024)  # 4 MiB: the smallest size that is cached
    y = x.exp()
    del y
    gc.collect()
    assert _C._cpu_cached_bytes() == 4 * MIB
    z = x.exp()  # same size: takes the cached block
    assert _C._cpu_cached_bytes() == 0
    np.testing.assert_allclose(z.numpy(), np.exp(x.numpy()), rtol=1e-6)
    _fresh()


def test_small_blocks_are_not_cached():
    _fresh()
    y = dc.ones(1000, 1000)  # just under 4 MiB
    del y
    gc.collect()
    assert _C._cpu_cached_bytes() == 0


def test_other_sizes_do_not_take_a_cached_block():
    _fresh()
    a = dc.zeros(2 * MIB)  # 8 MiB
    del a
    gc.collect()
    b = dc.zeros(3 * MIB)  # 12 MiB: a new block, the 8 MiB one stays cached
    assert _C._cpu_cached_bytes() == 8 * MIB
    assert float(b.sum()) == 0.0
    _fresh()


def test_cache_is_bounded_and_released():
    _fresh()
    for k in range(1, 13):  # 12 distinct sizes, 64-108 MiB each: 1 GiB in all
        t = dc.empty((64 + 4 * k) * MIB // 4)
        del t
        gc.collect()
        assert _C._cpu_cached_bytes() <= 512 * MIB
    assert _C._cpu_cached_bytes() > 0
    _C._cpu_empty_cache()
    assert _C._cpu_cached_bytes() == 0
