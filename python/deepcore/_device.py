"""dc.device: where a tensor lives ("cpu" or "cuda:N")."""
from . import _C


class device:
    """``dc.device("cpu")``, ``dc.device("cuda")``, ``dc.device("cuda", 1)``."""

    __slots__ = ("type", "index", "_c")

    def __init__(self, spec, index=None):
        if isinstance(spec, device):
            spec, index = spec.type, spec.index if index is None else index
        if not isinstance(spec, str):
            raise TypeError(f"device: expected a string like 'cpu' or 'cuda:0', got {spec!r}")
        kind, _, num = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise ValueError(f"device: expected 'cpu' or 'cuda[:N]', got {spec!r}")
        if num:
            if index is not None:
                raise ValueError(f"device: index given twice in {spec!r} and {index}")
            if not num.isdigit():
                raise ValueError(f"device: invalid device index in {spec!r}")
            index = int(num)
        if kind == "cpu" and index not in (None, 0):
            raise ValueError(f"device: cpu has no index {index}")
        self.type = kind
        self.index = 0 if index is None else int(index)
        self._c = _C.Device(0 if kind == "cpu" else 1, self.index)

    def __str__(self):
        return "cpu" if self.type == "cpu" else f"cuda:{self.index}"

    def __repr__(self):
        return f"device(type='{self.type}', index={self.index})" if self.type == "cuda" \
            else "device(type='cpu')"

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (TypeError, ValueError):
                return False
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))


CPU = device("cpu")
_cache = {(0, 0): CPU}


def from_native(d):
    key = (d.type, d.index)
    dev = _cache.get(key)
    if dev is None:
        dev = _cache[key] = device("cpu" if d.type == 0 else "cuda", d.index)
    return dev


_default = [CPU]


def set_default_device(d):
    """Device of tensors that creation functions make when given no device=
    (as torch.set_default_device); None restores "cpu"."""
    _default[0] = CPU if d is None else to_device(d)


def get_default_device():
    return _default[0]


def to_device(d):
    if d is None:
        return CPU
    return d if isinstance(d, device) else device(d)
