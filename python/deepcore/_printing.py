"""repr of tensors, in PyTorch's format: tensor([[1., 2.], [3., 4.]], dtype=...)."""
import numpy as np

from ._dtype import float32, int64, bool_


def tensor_repr(t):
    a = t._a
    if a.device.type != 0:
        from . import _C
        a = _C.to_device(a, _C.Device(0, 0))
    from . import _C
    arr = _C.to_numpy(a)
    prefix = "tensor("
    if arr.size == 0:
        body = "[]"
    else:
        opts = dict(separator=", ", prefix=prefix, threshold=1000, edgeitems=3)
        if t.dtype.is_floating_point:
            finite = arr[np.isfinite(arr)]
            integral = np.all(finite == np.round(finite))
            # PyTorch: whole numbers print as "1.", others with 4 decimals "1.0000".
            opts["precision"] = 4
            opts["floatmode"] = "maxprec" if integral else "fixed"
        body = np.array2string(arr, **opts)
    extras = []
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    if t.dtype not in (float32, int64, bool_) or (arr.size == 0 and t.dtype is not float32):
        extras.append(f"dtype={t.dtype!r}")
    if arr.size == 0 and arr.ndim > 1:
        extras.insert(0, f"size={tuple(arr.shape)}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"
