"""dc.save / dc.load: checkpoints in a documented format that never executes code.

What can be saved: tensors (and nn.Parameters), dicts (str or int keys; OrderedDict is
kept as such, other dict subclasses come back as dict), lists, tuples (namedtuples come
back as plain tuples), int, float (nan/inf included), bool, str and None, nested in any
way. numpy scalars are saved as the Python number they hold. Anything else raises
TypeError before the file is touched, naming where it sits in the structure.

Tensors keep dtype, shape, values, device and requires_grad; an nn.Parameter comes back
as an nn.Parameter. Gradients and the autograd graph are not saved. Every occurrence of a
tensor is written as its own contiguous copy: tensors that shared storage (views, tied
weights, the same tensor listed twice) load as independent tensors.

File layout (integers little-endian):

    offset  size  field
    0       8     magic b"\\x89DCKPT\\r\\n"
    8       4     u32 format version (1)
    12      4     u32 CRC32 of the header
    16      8     u64 header length H
    24      4     u32 reserved (0)
    28      4     u32 CRC32 of bytes 0..27
    32      H     header: UTF-8 JSON (below)
    ...           zero padding up to D = 32 + H rounded up to a multiple of 64
    D       L     tensor data: each tensor's bytes (C order, little-endian; bool as one byte
                  0/1) at D + offset, offsets multiples of 64; the file ends at D + L

The header is ``{"data_length": L, "tensors": [...], "root": node}``; each tensor entry
is ``{"name", "dtype" ("float32", "float64", "int64" or "bool"), "shape", "offset",
"nbytes", "crc32" (8 hex digits), "requires_grad", "parameter", "device"}`` where name is
the tensor's place in the structure (``model.fc1.weight``, ``state[0].exp_avg``). A node
is JSON null/true/false/string/number for None/bool/str/int/float, a JSON array for a
list, or a one-key object: ``{"tuple": [nodes]}``, ``{"dict": [[key, node], ...]}``,
``{"odict": [[key, node], ...]}`` (keys are JSON strings or integers, so int keys stay
ints), ``{"tensor": i}`` (an index into "tensors"), ``{"float": "nan"|"inf"|"-inf"}``.

Saving to a path writes a temporary file in the same directory, fsyncs it and renames it
over the target (os.replace), so a crash mid-save leaves any old file intact. Loading
checks the magic, both checksums and each tensor's CRC32, and raises CheckpointError
saying whether the file is truncated or corrupted.
"""
import collections
import json
import math
import os
import stat
import struct
import sys
import zlib

import numpy as np

from ._creation import empty
from ._device import device, to_device
from ._dtype import BY_INDEX
from ._tensor import Tensor
from .nn.parameter import Parameter

__all__ = ["save", "load", "CheckpointError"]

MAGIC = b"\x89DCKPT\r\n"
VERSION = 1
_PREFIX = struct.Struct("<8sIIQII")  # magic, version, header crc, header length, 0, crc
_ALIGN = 64
_DTYPES = {d.name: d for d in BY_INDEX}


class CheckpointError(RuntimeError):
    """A file that dc.load cannot read: not a checkpoint, truncated or corrupted."""


def _align(n):
    return -(-n // _ALIGN) * _ALIGN


def _crc(data):
    return zlib.crc32(data) & 0xFFFFFFFF


# ---------------------------------------------------------------- saving

def _key_str(path):
    return "".join(f"[{k!r}]" for k in path) or "the top level"


def _tensor_name(path):
    out = ""
    for k in path:
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else k)
    return out or "<root>"


class _Encoder:
    """Turns an object tree into a JSON node tree plus the list of tensors it holds."""

    def __init__(self):
        self.tensors = []  # (tensor, header entry)
        self.nbytes = 0
        self._open = set()  # ids of the containers on the current path (cycle check)

    def node(self, obj, path):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, (int, np.integer)):
            return int(obj)
        if isinstance(obj, (float, np.floating)):
            obj = float(obj)
            return obj if math.isfinite(obj) else {"float": repr(obj)}
        if isinstance(obj, Tensor):
            return {"tensor": self.tensor(obj, path)}
        if isinstance(obj, (dict, list, tuple)):
            if id(obj) in self._open:
                raise TypeError(f"save: circular reference at {_key_str(path)}")
            self._open.add(id(obj))
            try:
                if isinstance(obj, dict):
                    items = [[self.key(k, path), self.node(v, path + [k])] for k, v in obj.items()]
                    return {"odict" if isinstance(obj, collections.OrderedDict) else "dict": items}
                items = [self.node(v, path + [i]) for i, v in enumerate(obj)]
                return {"tuple": items} if isinstance(obj, tuple) else items
            finally:
                self._open.discard(id(obj))
        raise TypeError(f"save: unsupported type '{type(obj).__name__}' at {_key_str(path)} "
                        "(supported: tensors, dicts, lists, tuples, int, float, bool, str, None)")

    @staticmethod
    def key(k, path):
        if isinstance(k, str):
            return k
        if isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)):
            return int(k)
        raise TypeError(f"save: unsupported dict key {k!r} of type '{type(k).__name__}' at "
                        f"{_key_str(path)} (keys must be str or int)")

    def tensor(self, t, path):
        nbytes = t.numel() * t.dtype.itemsize
        offset = _align(self.nbytes)
        self.nbytes = offset + nbytes
        self.tensors.append((t, {
            "name": _tensor_name(path), "dtype": t.dtype.name, "shape": list(t.shape),
            "offset": offset, "nbytes": nbytes, "crc32": "00000000",
            "requires_grad": bool(t.requires_grad), "parameter": isinstance(t, Parameter),
            "device": str(t.device)}))
        return len(self.tensors) - 1


def _header(root, enc):
    doc = {"data_length": enc.nbytes, "tensors": [e for _, e in enc.tensors], "root": root}
    return json.dumps(doc, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _host_bytes(t):
    """The tensor's values as a flat little-endian uint8 array (a copy only if needed)."""
    t = t.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    arr = np.ascontiguousarray(t.numpy())
    if sys.byteorder == "big":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return arr.reshape(-1).view(np.uint8)


def _write(f, root, enc):
    start = f.tell()
    header = _header(root, enc)
    data_start = _align(_PREFIX.size + len(header))
    f.write(bytes(data_start))  # prefix and header are written last, once the CRCs are known
    at = 0
    for t, entry in enc.tensors:
        f.write(bytes(entry["offset"] - at))
        blob = _write_tensor(f, t)
        entry["crc32"] = f"{_crc(blob):08x}"
        at = entry["offset"] + entry["nbytes"]
    f.write(bytes(enc.nbytes - at))
    end = f.tell()
    final = _header(root, enc)
    assert len(final) == len(header)  # fixed-width CRC fields
    prefix = _PREFIX.pack(MAGIC, VERSION, _crc(final), len(final), 0, 0)
    prefix = prefix[:-4] + struct.pack("<I", _crc(prefix[:-4]))
    f.seek(start)
    f.write(prefix + final)
    f.seek(end)


def _write_tensor(f, t):
    blob = _host_bytes(t)
    f.write(blob)
    return blob


def _fsync_dir(dirname):
    try:
        fd = os.open(dirname, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some platforms and file systems can't fsync a directory
    finally:
        os.close(fd)


def save(obj, f):
    """Saves ``obj`` (tensors, nested dicts/lists/tuples of them, numbers, strings, None)
    to ``f``: a path (written atomically) or a writable, seekable binary file object."""
    enc = _Encoder()
    root = enc.node(obj, [])  # TypeError here, before any file is touched
    if hasattr(f, "write"):
        _write(f, root, enc)
        return
    path = os.path.realpath(os.fspath(f))
    dirname = os.path.dirname(path)
    if not os.path.isdir(dirname):
        raise FileNotFoundError(f"save: directory {dirname!r} does not exist")
    while True:
        tmp = os.path.join(dirname, f".{os.path.basename(path)}.{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666)
            break
        except FileExistsError:
            continue
    try:
        if os.path.exists(path):  # an overwritten file keeps its permissions
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        with os.fdopen(fd, "wb") as fh:
            _write(fh, root, enc)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(dirname)


# ---------------------------------------------------------------- loading

class _Reader:
    """Reads a checkpoint front to back (no seeks, so any readable stream works)."""

    def __init__(self, f, name, whole_file):
        self.f = f
        self.name = name
        self.whole_file = whole_file  # a path we opened: bytes after the data are an error
        self.pos = 0

    def error(self, what):
        return CheckpointError(f"load: {self.name} {what}")

    def corrupted(self, why):
        return self.error(f"is corrupted ({why})")

    def read(self, n, what):
        data = self.f.read(n)
        self.pos += len(data)
        if len(data) != n:
            raise self.error(f"is truncated ({what}: expected {n} bytes, got {len(data)})")
        return data

    def skip_padding(self, upto):
        """Reads the zero padding up to position ``upto``; a flipped byte there shows too."""
        if any(self.read(upto - self.pos, "padding")):
            raise self.corrupted(f"nonzero padding before byte {upto}")

    def header(self):
        head = self.f.read(_PREFIX.size)
        self.pos += len(head)
        if not head:
            raise self.error("is empty (0 bytes), not a deepcore checkpoint")
        if head[:len(MAGIC)] != MAGIC[:len(head)]:
            raise self.error("is not a deepcore checkpoint (no magic bytes at its start)")
        if len(head) < _PREFIX.size:
            raise self.error(f"is truncated (the file ends inside the {_PREFIX.size}-byte "
                             "prefix)")
        _, version, hcrc, hlen, _, pcrc = _PREFIX.unpack(head)
        if pcrc != _crc(head[:-4]):
            raise self.corrupted("checksum mismatch in the file prefix")
        if version != VERSION:
            raise self.error(f"has format version {version}; this deepcore reads version "
                             f"{VERSION}")
        header = self.read(hlen, "header")
        if _crc(header) != hcrc:
            raise self.corrupted("checksum mismatch in the header")
        try:
            doc = json.loads(header.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            raise self.corrupted(f"the header is not valid JSON: {e}") from None
        self.data_start = _align(_PREFIX.size + hlen)
        return doc

    def check(self, doc):
        """Validates the header's layout so that a bad one fails here, not later."""
        def need(cond, why):
            if not cond:
                raise self.corrupted(f"malformed header: {why}")

        need(isinstance(doc, dict) and {"data_length", "tensors", "root"} <= doc.keys(),
             "missing fields")
        size = doc["data_length"]
        need(type(size) is int and size >= 0, "bad data_length")
        need(isinstance(doc["tensors"], list), "bad tensor table")
        end = 0
        for e in doc["tensors"]:
            need(isinstance(e, dict), "bad tensor entry")
            need(e.get("dtype") in _DTYPES, f"unknown dtype {e.get('dtype')!r}")
            shape, off, nb = e.get("shape"), e.get("offset"), e.get("nbytes")
            need(isinstance(shape, list) and all(type(s) is int and s >= 0 for s in shape),
                 f"bad shape {shape!r}")
            need(type(off) is int and type(nb) is int and end <= off and off + nb <= size,
                 f"tensor bytes out of order or range (offset {off!r}, nbytes {nb!r})")
            need(nb == math.prod(shape) * _DTYPES[e["dtype"]].itemsize,
                 f"nbytes {nb} does not match shape {shape} and dtype {e['dtype']}")
            need(isinstance(e.get("crc32"), str) and len(e["crc32"]) == 8, "bad crc32 field")
            need(isinstance(e.get("name"), str) and isinstance(e.get("device"), str),
                 "bad name or device")
            end = off + nb

    def check_size(self, data_length):
        """Reports truncation up front when the file's size is known."""
        want = self.data_start + data_length
        if not self.whole_file:
            return
        size = os.fstat(self.f.fileno()).st_size
        if size < want:
            raise self.error(f"is truncated ({size} bytes, expected {want})")
        if size > want:
            raise self.corrupted(f"{size - want} unexpected bytes after the data")

    def tensor(self, e, device):
        dt = _DTYPES[e["dtype"]]
        self.skip_padding(self.data_start + e["offset"])
        t = empty(e["shape"], dtype=dt)
        arr = t.numpy()
        buf = arr.reshape(-1).view(np.uint8)
        got = self.f.readinto(buf) if e["nbytes"] else 0
        self.pos += got
        if got != e["nbytes"]:
            raise self.error(f"is truncated (tensor '{e['name']}': expected {e['nbytes']} "
                             f"bytes, got {got})")
        if f"{_crc(buf):08x}" != e["crc32"]:
            raise self.corrupted(f"checksum mismatch in tensor '{e['name']}'")
        if sys.byteorder == "big":
            arr.byteswap(inplace=True)
        if device.type != "cpu":
            t = t.to(device)
        if e.get("parameter"):
            return Parameter(t, requires_grad=bool(e.get("requires_grad")))
        return t.requires_grad_() if e.get("requires_grad") else t

    def node(self, n, tensors):
        if n is None or isinstance(n, (bool, int, float, str)):
            return n
        if isinstance(n, list):
            return [self.node(v, tensors) for v in n]
        if isinstance(n, dict) and len(n) == 1:
            (tag, v), = n.items()
            if tag == "tensor" and type(v) is int and 0 <= v < len(tensors):
                return tensors[v]
            if tag == "tuple" and isinstance(v, list):
                return tuple(self.node(x, tensors) for x in v)
            if tag in ("dict", "odict") and isinstance(v, list) and all(
                    isinstance(p, list) and len(p) == 2 and isinstance(p[0], (str, int))
                    and not isinstance(p[0], bool) for p in v):
                d = collections.OrderedDict() if tag == "odict" else {}
                for k, x in v:
                    d[k] = self.node(x, tensors)
                return d
            if tag == "float" and v in ("nan", "inf", "-inf"):
                return float(v)
        raise self.corrupted(f"malformed header: unexpected node {json.dumps(n)[:80]}")


def _target_device(map_location, saved, name):
    if map_location is None:
        dev = saved
    elif isinstance(map_location, dict):
        dev = map_location.get(saved, saved)
    else:
        dev = map_location
    try:
        dev = to_device(dev)
    except (TypeError, ValueError) as e:
        raise type(e)(f"load: bad map_location {map_location!r} ({e})") from None
    if dev.type == "cuda":
        from . import cuda
        if not cuda.is_available():
            raise RuntimeError(f"load: {name} holds tensors saved on {saved}, but CUDA is not "
                               "available; pass map_location='cpu' to load them on the CPU")
    return dev


def load(f, map_location=None):
    """Loads what dc.save wrote, from a path or a readable binary file object.

    ``map_location``: None (each tensor back on the device it was saved from), a device
    ('cpu', 'cuda:0', dc.device) for all tensors, or a dict mapping saved device names to
    new ones ({'cuda:0': 'cpu'}). Raises CheckpointError for a file that is not a
    checkpoint, is truncated or is corrupted.
    """
    if map_location is not None and not isinstance(map_location, (str, dict, device)):
        raise TypeError(f"load: map_location must be None, a device or a dict, got "
                        f"{map_location!r}")
    if hasattr(f, "read"):
        return _load(_Reader(f, getattr(f, "name", "<file object>"), False), map_location)
    path = os.fspath(f)
    with open(path, "rb") as fh:
        return _load(_Reader(fh, path, True), map_location)


def _load(r, map_location):
    doc = r.header()
    r.check(doc)
    r.check_size(doc["data_length"])
    tensors = [r.tensor(e, _target_device(map_location, e["device"], r.name))
               for e in doc["tensors"]]
    r.skip_padding(r.data_start + doc["data_length"])
    return r.node(doc["root"], tensors)
