"""dc.save / dc.load: round trips, the documented format, errors, corruption, atomic writes."""
import io
import json
import math
import os
import struct
import zlib
from collections import OrderedDict

import numpy as np
import pytest

import deepcore as dc
from deepcore import nn, serialization
from deepcore.serialization import CheckpointError
from conftest import make


def roundtrip(obj, tmp_path, **kw):
    path = tmp_path / "obj.dc"
    dc.save(obj, path)
    return dc.load(path, **kw)


def same_tensor(a, b):
    """Same type, dtype, shape, requires_grad and bit pattern."""
    assert type(a) is type(b)
    assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
    x, y = a.detach().numpy(), b.detach().numpy()
    assert x.shape == y.shape and x.tobytes() == y.tobytes()


def optimizer_like_state():
    return {
        "state": {0: {"step": dc.tensor(12.0), "exp_avg": dc.randn(3, 4),
                      "exp_avg_sq": dc.rand(3, 4)},
                  1: {"step": dc.tensor(12.0), "exp_avg": dc.randn(4),
                      "exp_avg_sq": dc.rand(4)}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                          "amsgrad": False, "foreach": None, "params": [0, 1]}],
    }


# ---------------------------------------------------------------- round trips

@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
@pytest.mark.parametrize("shape", [(), (0,), (0, 3), (1,), (5,), (3, 4), (2, 3, 4), (2, 1, 3, 5)])
def test_tensor_roundtrip_every_dtype_and_shape(dtype, shape, tmp_path):
    a, t = make(shape, dtype, seed=len(shape))
    got = roundtrip(t, tmp_path)
    same_tensor(got, t)
    assert got.is_contiguous()


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_non_contiguous_tensors(dtype, tmp_path):
    a, t = make((4, 6), dtype, noncontig=True)
    views = {"transposed": t, "strided": t[::2, 1::3], "row": t[1], "expanded":
             t[:1].expand(3, 6), "column": t[:, 2]}
    assert not views["transposed"].is_contiguous() and not views["strided"].is_contiguous()
    got = roundtrip(views, tmp_path)
    for k, v in views.items():
        same_tensor(got[k], v.contiguous())
        np.testing.assert_array_equal(got[k].numpy(), np.asarray(v))


def test_special_float_values_are_bit_exact(tmp_path):
    vals = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-45, np.finfo(np.float32).max, -1.5]
    for npdt in (np.float32, np.float64):
        t = dc.from_numpy(np.array(vals, dtype=npdt))
        got = roundtrip(t, tmp_path).numpy()
        np.testing.assert_array_equal(got.view(np.uint8), np.array(vals, npdt).view(np.uint8))


def test_int64_extremes(tmp_path):
    t = dc.tensor([-2 ** 63, 2 ** 63 - 1, 0, -1])
    assert roundtrip(t, tmp_path).tolist() == [-2 ** 63, 2 ** 63 - 1, 0, -1]


def test_python_values_roundtrip(tmp_path):
    obj = {
        "none": None, "t": True, "f": False, "zero": 0, "neg": -7, "big": 2 ** 100,
        "float": 0.1, "whole_float": 3.0, "tiny": 5e-324, "huge": 1e300, "negzero": -0.0,
        "str": "h\u00e9llo \u2603 \"quoted\" \\ \n", "empty_str": "",
        "list": [1, 2.5, "x", None, [True]], "tuple": (1, (2, 3), []), "empty_tuple": (),
        "empty_list": [], "empty_dict": {}, "nested": {"a": {"b": {"c": [({"d": 1},)]}}},
        7: "int key", -1: "negative int key", "7": "string key beside int key 7",
    }
    got = roundtrip(obj, tmp_path)
    assert got == obj
    assert list(got) == list(obj)  # key order kept
    assert type(got["whole_float"]) is float and type(got["zero"]) is int
    assert type(got["t"]) is bool and type(got["tuple"]) is tuple
    assert type(got["tuple"][1]) is tuple and type(got["tuple"][2]) is list
    assert math.copysign(1, got["negzero"]) == -1
    assert 7 in got and "7" in got and got[7] != got["7"]


def test_non_finite_floats(tmp_path):
    got = roundtrip([math.nan, math.inf, -math.inf], tmp_path)
    assert math.isnan(got[0]) and got[1] == math.inf and got[2] == -math.inf


def test_top_level_scalars_and_containers(tmp_path):
    for obj in (None, 3, 2.5, "s", True, [], (), {}, [dc.ones(2)]):
        got = roundtrip(obj, tmp_path)
        if isinstance(obj, list) and obj:
            same_tensor(got[0], obj[0])
        else:
            assert got == obj and type(got) is type(obj)


def test_numpy_scalars_become_python_numbers(tmp_path):
    got = roundtrip({"f": np.float32(1.5), "d": np.float64(0.1), "i": np.int64(-3),
                     "u": np.uint8(200), "b": np.bool_(True), np.int64(4): "k"}, tmp_path)
    assert got == {"f": 1.5, "d": 0.1, "i": -3, "u": 200, "b": True, 4: "k"}
    assert [type(v) for v in got.values()] == [float, float, int, int, bool, str]


def test_ordered_dict_kept_other_dict_subclasses_become_dict(tmp_path):
    class MyDict(dict):
        pass

    got = roundtrip({"o": OrderedDict(b=1, a=2), "m": MyDict(x=1)}, tmp_path)
    assert type(got["o"]) is OrderedDict and list(got["o"]) == ["b", "a"]
    assert type(got["m"]) is dict and got["m"] == {"x": 1}


def test_requires_grad_and_parameters(tmp_path):
    leaf = dc.randn(3, requires_grad=True)
    nonleaf = leaf * 2
    p = nn.Parameter(dc.randn(2, 2))
    frozen = nn.Parameter(dc.randn(2), requires_grad=False)
    leaf.sum().backward()
    got = roundtrip({"leaf": leaf, "nonleaf": nonleaf, "p": p, "frozen": frozen,
                     "plain": dc.ones(2)}, tmp_path)
    assert got["leaf"].requires_grad and got["leaf"].is_leaf and got["leaf"].grad is None
    assert got["nonleaf"].requires_grad and got["nonleaf"].is_leaf
    assert type(got["p"]) is nn.Parameter and got["p"].requires_grad
    assert type(got["frozen"]) is nn.Parameter and not got["frozen"].requires_grad
    assert type(got["plain"]) is dc.Tensor and not got["plain"].requires_grad
    same_tensor(got["p"], p)
    np.testing.assert_array_equal(got["nonleaf"].detach().numpy(), nonleaf.detach().numpy())


def test_loaded_tensors_are_independent_copies(tmp_path):
    base = dc.arange(6).reshape(2, 3)
    got = roundtrip({"a": base, "view": base[0], "again": base}, tmp_path)
    got["a"][0, 0] = 100
    assert got["view"][0].item() == 0 and got["again"][0, 0].item() == 0
    assert base[0, 0].item() == 0


def test_optimizer_like_state_dict_with_int_keys(tmp_path):
    sd = optimizer_like_state()
    got = roundtrip({"optimizer": sd, "epoch": 3}, tmp_path)["optimizer"]
    assert list(got["state"]) == [0, 1]
    for k in (0, 1):
        for name, t in sd["state"][k].items():
            same_tensor(got["state"][k][name], t)
    assert got["param_groups"] == sd["param_groups"]
    assert got["param_groups"][0]["betas"] == (0.9, 0.999)


def test_module_state_dict_roundtrip_into_a_fresh_module(tmp_path):
    dc.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    got = roundtrip(m.state_dict(), tmp_path)
    assert type(got) is OrderedDict and list(got) == list(m.state_dict())
    dc.manual_seed(1)
    m2 = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    m2.load_state_dict(got)
    x = dc.randn(5, 4)
    np.testing.assert_array_equal(m(x).detach().numpy(), m2(x).detach().numpy())


def test_large_tensor(tmp_path):
    t = dc.randn(1000, 1000)
    same_tensor(roundtrip(t, tmp_path), t)


def test_file_objects(tmp_path):
    buf = io.BytesIO()
    obj = {"w": dc.randn(3, 2), "n": 1}
    dc.save(obj, buf)
    buf.seek(0)
    got = dc.load(buf)
    same_tensor(got["w"], obj["w"])
    # a checkpoint written after other bytes in a stream reads back from that position
    buf = io.BytesIO()
    buf.write(b"prelude")
    dc.save(obj, buf)
    buf.seek(7)
    assert dc.load(buf)["n"] == 1


def test_path_like_and_str_paths(tmp_path):
    dc.save({"a": 1}, str(tmp_path / "s.dc"))
    assert dc.load(str(tmp_path / "s.dc")) == {"a": 1}
    assert dc.load(tmp_path / "s.dc") == {"a": 1}


def test_save_through_a_symlink_writes_the_target(tmp_path):
    target = tmp_path / "real.dc"
    dc.save(1, target)
    link = tmp_path / "link.dc"
    link.symlink_to(target)
    dc.save(2, link)
    assert link.is_symlink() and dc.load(target) == 2


def test_map_location(tmp_path):
    t = dc.randn(2, 3)
    path = tmp_path / "m.dc"
    dc.save({"t": t}, path)
    for loc in ("cpu", dc.device("cpu"), {"cuda:0": "cpu"}, {}):
        got = dc.load(path, map_location=loc)["t"]
        assert got.device == dc.device("cpu")
        same_tensor(got, t)
    with pytest.raises(TypeError, match="load: map_location must be None, a device or a dict"):
        dc.load(path, map_location=3)
    with pytest.raises(ValueError, match="load: bad map_location 'tpu'"):
        dc.load(path, map_location="tpu")


@pytest.mark.skipif(dc.cuda.is_available(), reason="checks the no-CUDA message")
def test_map_location_cuda_without_cuda(tmp_path):
    path = tmp_path / "m.dc"
    dc.save(dc.ones(2), path)
    with pytest.raises(RuntimeError, match="CUDA is not available; pass map_location='cpu'"):
        dc.load(path, map_location="cuda")
    # a file saved on a GPU (device recorded in the header) needs map_location here
    raw = path.read_bytes()
    doc, _, _ = read_header(raw)
    doc["tensors"][0]["device"] = "cuda:0"
    path.write_bytes(with_header(raw, doc))
    with pytest.raises(RuntimeError, match="saved on cuda:0, but CUDA is not available"):
        dc.load(path)
    assert dc.load(path, map_location="cpu").tolist() == [1.0, 1.0]
    assert dc.load(path, map_location={"cuda:0": "cpu"}).tolist() == [1.0, 1.0]


@pytest.mark.skipif(not dc.cuda.is_available(), reason="needs CUDA")
def test_cuda_tensors_roundtrip(tmp_path):
    t = dc.randn(3, 4).cuda()
    got = roundtrip({"t": t}, tmp_path)["t"]
    assert got.device == dc.device("cuda:0")
    np.testing.assert_array_equal(got.cpu().numpy(), t.cpu().numpy())
    got = roundtrip({"t": t}, tmp_path, map_location="cpu")["t"]
    assert got.device == dc.device("cpu")


# ---------------------------------------------------------------- the documented format

def read_header(raw):
    magic, version, hcrc, hlen, reserved, pcrc = struct.unpack("<8sIIQII", raw[:32])
    assert magic == b"\x89DCKPT\r\n" and version == 1 and reserved == 0
    assert pcrc == zlib.crc32(raw[:28])
    header = raw[32:32 + hlen]
    assert zlib.crc32(header) == hcrc
    return json.loads(header.decode("utf-8")), -(-(32 + hlen) // 64) * 64, hlen


def with_header(raw, doc):
    """The checkpoint ``raw`` with its header replaced by ``doc`` (valid checksums)."""
    header = json.dumps(doc, separators=(",", ":")).encode()
    prefix = struct.pack("<8sIIQI", b"\x89DCKPT\r\n", 1, zlib.crc32(header), len(header), 0)
    prefix += struct.pack("<I", zlib.crc32(prefix))
    pad = -(-(32 + len(header)) // 64) * 64 - 32 - len(header)
    return prefix + header + bytes(pad) + raw[read_header(raw)[1]:]


def test_format_matches_the_documentation(tmp_path):
    w = dc.randn(3, 4)
    obj = {"model": OrderedDict([("fc1.weight", w), ("fc1.bias", dc.zeros(4))]),
           "steps": [1, (2.5, None)], 3: dc.tensor([True, False, True])}
    path = tmp_path / "doc.dc"
    dc.save(obj, path)
    raw = path.read_bytes()
    doc, data_start, _ = read_header(raw)
    assert len(raw) == data_start + doc["data_length"]
    names = [e["name"] for e in doc["tensors"]]
    assert names == ["model.fc1.weight", "model.fc1.bias", "[3]"]
    e = doc["tensors"][0]
    assert (e["dtype"], e["shape"], e["nbytes"], e["device"]) == ("float32", [3, 4], 48, "cpu")
    assert e["requires_grad"] is False and e["parameter"] is False
    for e in doc["tensors"]:
        assert e["offset"] % 64 == 0
        blob = raw[data_start + e["offset"]:data_start + e["offset"] + e["nbytes"]]
        assert f"{zlib.crc32(blob):08x}" == e["crc32"]
    blob = raw[data_start:data_start + 48]
    np.testing.assert_array_equal(np.frombuffer(blob, "<f4").reshape(3, 4), w.numpy())
    bools = doc["tensors"][2]
    assert raw[data_start + bools["offset"]:][:3] == b"\x01\x00\x01"
    assert doc["root"] == {"dict": [
        ["model", {"odict": [["fc1.weight", {"tensor": 0}], ["fc1.bias", {"tensor": 1}]]}],
        ["steps", [1, {"tuple": [2.5, None]}]],
        [3, {"tensor": 2}]]}


def test_load_never_evaluates_header_content(tmp_path):
    """Strings that look like code or pickles stay inert strings."""
    evil = {"__reduce__": "os.system('touch pwned')", "s": "\x80\x04cos\nsystem\n"}
    assert roundtrip(evil, tmp_path) == evil


# ---------------------------------------------------------------- unsupported types

@pytest.mark.parametrize("obj, where, tname", [
    ({"optimizer": {"state": [{1, 2}]}}, r"\['optimizer'\]\['state'\]\[0\]", "set"),
    ({"a": object()}, r"\['a'\]", "object"),
    ([1, np.zeros(3)], r"\[1\]", "ndarray"),
    ({"b": b"bytes"}, r"\['b'\]", "bytes"),
    ({"c": 1j}, r"\['c'\]", "complex"),
    ({"f": len}, r"\['f'\]", "builtin_function_or_method"),
    ({0: {"m": nn.Linear(2, 2)}}, r"\[0\]\['m'\]", "Linear"),
    ({1, 2}, "the top level", "set"),
])
def test_unsupported_types_name_their_place(obj, where, tname, tmp_path):
    path = tmp_path / "bad.dc"
    with pytest.raises(TypeError, match=f"save: unsupported type '{tname}' at {where}"):
        dc.save(obj, path)
    assert os.listdir(tmp_path) == []  # nothing written, no temp file left


@pytest.mark.parametrize("key", [(1, 2), 1.5, True, None, b"k"])
def test_unsupported_dict_keys(key, tmp_path):
    with pytest.raises(TypeError, match=r"save: unsupported dict key .* at \['outer'\] "
                                        r"\(keys must be str or int\)"):
        dc.save({"outer": {key: 1}}, tmp_path / "k.dc")


def test_circular_reference(tmp_path):
    a = {"x": []}
    a["x"].append(a)
    with pytest.raises(TypeError, match=r"save: circular reference at \['x'\]\[0\]"):
        dc.save(a, tmp_path / "c.dc")
    shared = [1]
    assert roundtrip([shared, shared], tmp_path) == [[1], [1]]  # a repeat is not a cycle


def test_save_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="save: directory .*nowhere.* does not exist"):
        dc.save(1, tmp_path / "nowhere" / "x.dc")
    with pytest.raises(FileNotFoundError):
        dc.load(tmp_path / "missing.dc")


# ---------------------------------------------------------------- corruption and truncation

@pytest.fixture
def checkpoint(tmp_path):
    obj = {"model": {"fc1.weight": dc.randn(4, 3), "fc1.bias": dc.randn(4)},
           "optimizer": optimizer_like_state(), "epoch": 2}
    path = tmp_path / "checkpoint.dc"
    dc.save(obj, path)
    return path, path.read_bytes()


def test_flipped_tensor_byte_names_the_tensor(checkpoint):
    path, raw = checkpoint
    doc, data_start, _ = read_header(raw)
    e = next(e for e in doc["tensors"] if e["name"] == "model.fc1.weight")
    bad = bytearray(raw)
    bad[data_start + e["offset"] + 5] ^= 0x10
    path.write_bytes(bad)
    with pytest.raises(CheckpointError, match=r"load: .*checkpoint.dc is corrupted \(checksum "
                                              r"mismatch in tensor 'model.fc1.weight'\)"):
        dc.load(path)
    e = next(e for e in doc["tensors"] if e["name"] == "optimizer.state[1].exp_avg")
    bad = bytearray(raw)
    bad[data_start + e["offset"] + e["nbytes"] - 1] ^= 0x01
    path.write_bytes(bad)
    with pytest.raises(CheckpointError, match=r"tensor 'optimizer.state\[1\].exp_avg'"):
        dc.load(path)


def test_flipped_header_and_prefix_bytes(checkpoint):
    path, raw = checkpoint
    cases = {40: "checksum mismatch in the header", 17: "checksum mismatch in the file prefix",
             8: "checksum mismatch in the file prefix", 30: "checksum mismatch in the file prefix"}
    for at, msg in cases.items():
        bad = bytearray(raw)
        bad[at] ^= 0x04
        path.write_bytes(bad)
        with pytest.raises(CheckpointError, match=f"is corrupted \\({msg}\\)"):
            dc.load(path)


def test_every_flipped_byte_is_detected(tmp_path):
    path = tmp_path / "small.dc"
    dc.save({"a": dc.tensor([1.0, 2.0]), "b": [dc.tensor([3]), 4]}, path)
    raw = path.read_bytes()
    for at in range(len(raw)):
        bad = bytearray(raw)
        bad[at] ^= 0x20
        path.write_bytes(bad)
        with pytest.raises(CheckpointError, match="is corrupted|is not a deepcore checkpoint"):
            dc.load(path)


def test_every_truncation_is_detected(tmp_path):
    path = tmp_path / "small.dc"
    dc.save({"a": dc.tensor([1.0, 2.0]), "b": [dc.tensor([3]), 4]}, path)
    raw = path.read_bytes()
    for n in range(1, len(raw)):
        path.write_bytes(raw[:n])
        with pytest.raises(CheckpointError, match=r"is truncated \("):
            dc.load(path)
        # streams (no file size to compare) see the short read
        with pytest.raises(CheckpointError, match=r"is truncated \("):
            dc.load(io.BytesIO(raw[:n]))
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match="is empty"):
        dc.load(path)


def test_truncated_checkpoint_message(checkpoint):
    path, raw = checkpoint
    path.write_bytes(raw[:-10])
    with pytest.raises(CheckpointError, match=r"load: .*checkpoint.dc is truncated "
                                              rf"\({len(raw) - 10} bytes, expected {len(raw)}\)"):
        dc.load(path)
    path.write_bytes(raw[:100])
    with pytest.raises(CheckpointError, match=r"checkpoint.dc is truncated \(header: expected"):
        dc.load(path)


def test_trailing_bytes_and_wrong_files(checkpoint, tmp_path):
    path, raw = checkpoint
    path.write_bytes(raw + b"\x00")
    with pytest.raises(CheckpointError, match=r"is corrupted \(1 unexpected bytes after"):
        dc.load(path)
    other = tmp_path / "other.bin"
    other.write_bytes(b"PK\x03\x04 a zip, or a torch file")
    with pytest.raises(CheckpointError, match="other.bin is not a deepcore checkpoint"):
        dc.load(other)
    assert issubclass(CheckpointError, RuntimeError)


def test_newer_format_version(checkpoint):
    path, raw = checkpoint
    prefix = bytearray(raw[:28])
    prefix[8:12] = struct.pack("<I", 2)
    path.write_bytes(bytes(prefix) + struct.pack("<I", zlib.crc32(prefix)) + raw[32:])
    with pytest.raises(CheckpointError, match="has format version 2; this deepcore reads "
                                              "version 1"):
        dc.load(path)


@pytest.mark.parametrize("patch, msg", [
    (lambda d: d["tensors"][0].update(dtype="complex64"), "unknown dtype 'complex64'"),
    (lambda d: d["tensors"][0].update(nbytes=4), "nbytes 4 does not match shape"),
    (lambda d: d["tensors"][0].update(offset=10 ** 9), "tensor bytes out of order or range"),
    (lambda d: d.update(root={"tensor": 99}), "unexpected node"),
    (lambda d: d.update(root={"eval": "1"}), "unexpected node"),
    (lambda d: d.pop("root"), "missing fields"),
])
def test_malformed_header_with_valid_checksum(patch, msg, checkpoint):
    """A header that passes its checksum but is not one dc.save writes (a crafted file)."""
    path, raw = checkpoint
    doc, _, _ = read_header(raw)
    patch(doc)
    path.write_bytes(with_header(raw, doc))
    with pytest.raises(CheckpointError, match=f"is corrupted \\(malformed header: {msg}"):
        dc.load(path)


# ---------------------------------------------------------------- atomic writes

def test_failure_midway_keeps_the_old_file(checkpoint, monkeypatch):
    path, raw = checkpoint
    calls = []
    real = serialization._write_tensor

    def failing(f, t):
        calls.append(1)
        if len(calls) == 2:  # after a tensor has been written
            raise OSError("disk full (simulated)")
        return real(f, t)

    monkeypatch.setattr(serialization, "_write_tensor", failing)
    with pytest.raises(OSError, match="disk full"):
        dc.save({"new": dc.ones(100), "other": dc.ones(100)}, path)
    assert len(calls) == 2
    assert path.read_bytes() == raw
    assert os.listdir(path.parent) == ["checkpoint.dc"]  # no temp file left behind
    assert dc.load(path)["epoch"] == 2


def test_interrupt_midway_keeps_the_old_file(checkpoint, monkeypatch):
    path, raw = checkpoint

    def interrupted(f, t):
        f.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization, "_write_tensor", interrupted)
    with pytest.raises(KeyboardInterrupt):
        dc.save([dc.ones(3)], path)
    assert path.read_bytes() == raw and os.listdir(path.parent) == ["checkpoint.dc"]


def test_unsupported_object_keeps_the_old_file(checkpoint):
    path, raw = checkpoint
    with pytest.raises(TypeError, match=r"unsupported type 'set' at \['late'\]"):
        dc.save({"model": {"w": dc.ones(1000)}, "late": {1}}, path)
    assert path.read_bytes() == raw and os.listdir(path.parent) == ["checkpoint.dc"]


def test_permissions_new_file_and_overwrite(checkpoint):
    path, _ = checkpoint
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~current_umask()  # as open() would
    os.chmod(path, 0o600)
    dc.save({"v": 2}, path)
    assert dc.load(path) == {"v": 2}
    assert os.listdir(path.parent) == ["checkpoint.dc"]
    assert os.stat(path).st_mode & 0o777 == 0o600  # an overwritten file keeps its mode


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
