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


def _index(device):
    """The GPU index named by device=None (the current one), an int, a string
    such as 'cuda:1', or a dc.device; as torch.cuda's memory functions."""
    if device is None:
        return 0
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    from ._device import device as _device
    d = _device(device)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return d.index


def memory_allocated(device=None):
    """Bytes held by live tensors on the GPU (block sizes, rounded up)."""
    return _C.cuda_memory_allocated(_index(device))


def max_memory_allocated(device=None):
    """Peak of memory_allocated since start or reset_peak_memory_stats()."""
    return _C.cuda_max_memory_allocated(_index(device))


def memory_reserved(device=None):
    """Bytes obtained from the driver: live tensors plus the allocator's cache."""
    return _C.cuda_memory_reserved(_index(device))


def reset_peak_memory_stats(device=None):
    _C.cuda_reset_peak_memory_stats(_index(device))


def empty_cache():
    """Returns cached, unused GPU memory to the driver (for other processes);
    live tensors are untouched."""
    _C.cuda_empty_cache()
