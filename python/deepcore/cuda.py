"""dc.cuda: GPU queries. Without a CUDA build or a GPU, is_available() is False
and any request for a 'cuda' tensor raises a clear RuntimeError."""
from . import _C


def is_available():
    return _C.cuda_device_count() > 0


def is_built():
    return _C.cuda_built()


def device_count():
    return _C.cuda_device_count()


def current_device():
    if not is_available():
        raise RuntimeError("cuda.current_device: no CUDA device is available")
    return 0


def synchronize():
    _C.cuda_synchronize()


def manual_seed(seed):
    """Seeds the GPU generator (today the one generator serves both devices)."""
    from ._creation import manual_seed as _seed
    _seed(seed)


manual_seed_all = manual_seed


def memory_allocated(device=None):
    return 0


def max_memory_allocated(device=None):
    return 0


def empty_cache():
    pass
