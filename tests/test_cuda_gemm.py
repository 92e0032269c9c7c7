"""GPU matmul, linear and the gemm_ hook (cuda/gemm.cu, cuda/matmul.cu)
against float64 numpy: every tile edge (sizes around 64 and 128), K = 1,
empty dims, transposed, strided and misaligned operands (each load layout of
the kernel), batch broadcasting, 1-D operands, both float dtypes and int64,
linear with and without bias, backward on the GPU against the CPU, TF32 on
and off, and the errors of mixed devices. The TF32 flag round trip runs on
any machine."""
import numpy as np
import pytest

import deepcore as dc
from conftest import needs_gpu

SIZES = [1, 2, 3, 7, 17, 63, 64, 65, 127, 128, 129, 255, 257]
F32_REL = 1.2e-7  # float32 rounding per term of a k-term sum, relative to |A| @ |B|
TF32_REL = 2e-3   # TF32 inputs keep 10 mantissa bits: ~1e-3 of |A| @ |B|


@pytest.fixture
def tf32():
    """A setter of allow_tf32 for the test; the old value is restored after it."""
    old = dc.backends.cuda.matmul.allow_tf32
    yield lambda on: setattr(dc.backends.cuda.matmul, "allow_tf32", on)
    dc.backends.cuda.matmul.allow_tf32 = old


def gpu(a):
    return dc.tensor(np.ascontiguousarray(a), device="cuda")


def rand(shape, dtype="float32", seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, size=shape).astype(dtype)


def check_product(got, a, b, rel=None):
    """got (a tensor) equals a @ b, computed in float64, within `rel` times
    |a| @ |b| (the scale of a k-term sum's rounding error)."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ref = a64 @ b64
    scale = np.abs(a64) @ np.abs(b64)
    out = got.numpy()
    assert out.shape == ref.shape, (out.shape, ref.shape)
    if rel is None:
        k = a64.shape[-1] if a64.ndim else 1
        rel = (2e-15 if got.dtype == dc.float64 else F32_REL) * max(k, 1) + (
            1e-15 if got.dtype == dc.float64 else 1e-7)
    np.testing.assert_array_less(np.abs(out - ref), rel * scale + 1e-30)


# ---- the TF32 switch (CPU and GPU) -------------------------------------------------

def test_allow_tf32_round_trip(tf32):
    assert dc.backends.cuda.matmul.allow_tf32 is False  # PyTorch's default
    tf32(True)
    assert dc.backends.cuda.matmul.allow_tf32 is True
    assert dc._C.cuda_allow_tf32() is True
    tf32(False)
    assert dc.backends.cuda.matmul.allow_tf32 is False
    assert dc._C.cuda_allow_tf32() is False


def test_allow_tf32_leaves_cpu_products_exact(tf32):
    tf32(True)
    a, b = rand((33, 65)), rand((65, 17), seed=1)
    check_product(dc.tensor(a, device="cpu") @ dc.tensor(b, device="cpu"), a, b)


# ---- shapes, layouts, dtypes ---------------------------------------------------------

@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("which", ["m", "n", "k"])
def test_matmul_every_edge(tf32, dtype, size, which):
    tf32(False)
    m, n, k = {"m": (size, 65, 33), "n": (33, size, 65), "k": (65, 33, size)}[which]
    a, b = rand((m, k), dtype), rand((k, n), dtype, seed=1)
    check_product(gpu(a) @ gpu(b), a, b)


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matmul_square_sizes(tf32, dtype):
    tf32(False)
    for s in (129, 257, 512):
        a, b = rand((s, s), dtype), rand((s, s), dtype, seed=1)
        check_product(gpu(a) @ gpu(b), a, b)


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes", [((0, 5), (5, 3)), ((4, 0), (0, 3)), ((4, 5), (5, 0)),
                                    ((2, 0, 5), (5, 3)), ((0, 4, 5), (0, 5, 3))])
def test_matmul_empty(dtype, shapes):
    a, b = rand(shapes[0], dtype), rand(shapes[1], dtype, seed=1)
    got = gpu(a) @ gpu(b)
    assert got.device.type == "cuda"
    np.testing.assert_array_equal(got.numpy(), a @ b)  # zeros where k == 0


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("tf32_on", [False, True])
def test_matmul_layouts(tf32, dtype, tf32_on):
    """A and B row-major, column-major (transposed views), strided in both
    dims (every other column), and offset by one element (no 16-byte
    alignment, scalar loads): every load variant of the kernel. Row lengths
    are multiples of 4, so the unshifted views take the vector loads; k = 76
    ends in a partial k-tile."""
    tf32(tf32_on)
    rel = TF32_REL if tf32_on and dtype == "float32" else None
    m, k, n = 131, 76, 68
    base_a = rand((max(m, k) + 1, 2 * m + 2), dtype)
    base_b = rand((max(n, k) + 1, 2 * k + 4), dtype, seed=1)
    ga, gb = gpu(base_a), gpu(base_b)
    variants_a = {
        "row": (base_a[:m, :k], gpu(base_a[:m, :k])),
        "col": (base_a[:k, :m].T, ga[:k, :m].transpose(0, 1)),
        "strided": (base_a[:k, 0:2 * m:2].T, ga[:k, 0:2 * m:2].transpose(0, 1)),
        "offset": (base_a[1:k + 1, 1:m + 1].T, ga[1:k + 1, 1:m + 1].transpose(0, 1)),
        "offset-row": (base_a[1:m + 1, 1:k + 1], ga[1:m + 1, 1:k + 1]),
    }
    variants_b = {
        "row": (base_b[:k, :n], gpu(base_b[:k, :n])),
        "col": (base_b[:n, :k].T, gb[:n, :k].transpose(0, 1)),
        "strided": (base_b[:n, 0:2 * k:2].T, gb[:n, 0:2 * k:2].transpose(0, 1)),
        "offset": (base_b[1:k + 1, 1:n + 1], gb[1:k + 1, 1:n + 1]),
    }
    for (na, (a, ta)) in variants_a.items():
        for (nb, (b, tb)) in variants_b.items():
            check_product(ta @ tb, a, b, rel)


@needs_gpu
def test_matmul_int64():
    rng = np.random.default_rng(0)
    a = rng.integers(-50, 50, size=(3, 70, 65))
    b = rng.integers(-50, 50, size=(65, 130))
    got = gpu(a) @ gpu(b)
    assert got.dtype == dc.int64
    np.testing.assert_array_equal(got.numpy(), a @ b)
    np.testing.assert_array_equal((gpu(a[0]) @ gpu(b.T.copy()).transpose(0, 1)).numpy(), a[0] @ b)


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sa,sb", [
    ((5, 33, 20), (20, 17)),            # a stack against one matrix (one tall product)
    ((33, 20), (4, 20, 17)),            # one matrix against a stack (batch stride 0)
    ((2, 1, 33, 20), (3, 20, 17)),      # broadcast along different dims (outer loop)
    ((2, 3, 33, 20), (2, 3, 20, 17)),   # merged batch dims
    ((1, 3, 33, 20), (2, 1, 20, 17)),
    ((6, 1, 1), (6, 1, 1)),
])
def test_matmul_batched_broadcast(tf32, dtype, sa, sb):
    tf32(False)
    a, b = rand(sa, dtype), rand(sb, dtype, seed=1)
    check_product(gpu(a) @ gpu(b), a, b)


@needs_gpu
def test_matmul_batched_non_contiguous(tf32):
    tf32(False)
    base = rand((4, 20, 33))
    a = base.transpose(0, 2, 1)                     # (4, 33, 20), column-major matrices
    b = rand((17, 4, 20), seed=1).transpose(1, 2, 0)  # batch dim not outermost in memory
    ta = gpu(base).transpose(1, 2)
    tb = gpu(rand((17, 4, 20), seed=1)).permute(1, 2, 0)
    check_product(ta @ tb, a, b)


@needs_gpu
def test_matmul_many_batches():
    """More products than one launch's grid.y (65535) holds."""
    a, b = rand((70000, 2, 3)), rand((70000, 3, 2), seed=1)
    check_product(gpu(a) @ gpu(b), a, b)


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sa,sb", [((257,), (257,)), ((65, 129), (129,)), ((129,), (129, 65)),
                                    ((7,), (3, 7, 5)), ((3, 5, 7), (7,)), ((1,), (1,))])
def test_matmul_1d(tf32, dtype, sa, sb):
    tf32(False)
    a, b = rand(sa, dtype), rand(sb, dtype, seed=1)
    got = gpu(a) @ gpu(b)
    assert got.shape == np.matmul(a, b).shape
    check_product(got, a, b)


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("tf32_on", [False, True])
def test_split_k(tf32, dtype, tf32_on):
    """Few output tiles and a long k: the product runs as k slices (the last
    one shorter) summed by a second kernel, which also applies alpha and beta."""
    tf32(tf32_on)
    rel = TF32_REL if tf32_on and dtype == "float32" else None
    for m, n, k in [(64, 64, 100_000), (70, 33, 5003), (1, 300, 20_000), (130, 129, 1024)]:
        a, b = rand((m, k), dtype), rand((k, n), dtype, seed=1)
        check_product(gpu(a) @ gpu(b), a, b, rel)
    # transposed operands, alpha and beta, C column-major (a transposed view)
    at, bt = rand((5003, 70), dtype), rand((33, 5003), dtype, seed=1)
    c = rand((70, 33), dtype, seed=2)
    tc = gpu(c.T).transpose(0, 1)
    dc._C._gemm_(tc._a, gpu(at).transpose(0, 1)._a, gpu(bt).transpose(0, 1)._a, 0.5, -2.0)
    ref = 0.5 * (at.T.astype(np.float64) @ bt.T) - 2.0 * c
    scale = np.abs(at.T.astype(np.float64)) @ np.abs(bt.T)
    tol = (TF32_REL if tf32_on and dtype == "float32" else
           5003 * (F32_REL if dtype == "float32" else 2e-15))
    assert np.all(np.abs(tc.numpy() - ref) <= tol * scale + 4 * np.abs(c) * 1e-7)


# ---- TF32 -----------------------------------------------------------------------

@needs_gpu
def test_tf32_error_bounds(tf32):
    a, b = rand((300, 257)), rand((257, 190), seed=1)
    ta, tb = gpu(a), gpu(b)
    tf32(False)
    check_product(ta @ tb, a, b)
    tf32(True)
    check_product(ta @ tb, a, b, TF32_REL)
    check_product(ta.transpose(0, 1).contiguous().transpose(0, 1) @ tb, a, b, TF32_REL)


@needs_gpu
def test_tf32_switch_changes_the_kernel(tf32):
    """1 + 2^-15 is exact in float32 but rounds to 1 in TF32 (10-bit
    mantissa): 8 such terms sum to 8 + 2^-12 in float32, to 8 on tensor
    cores. A GPU older than sm_80 has no TF32 and stays in float32."""
    a = np.full((16, 8), 1 + 2.0 ** -15, np.float32)
    b = np.ones((8, 16), np.float32)
    ta, tb = gpu(a), gpu(b)
    tf32(False)
    np.testing.assert_array_equal((ta @ tb).numpy(), np.float32(8 + 2.0 ** -12))
    tf32(True)
    got = (ta @ tb).numpy()
    assert np.all(got == 8.0) or np.all(got == np.float32(8 + 2.0 ** -12)), got
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available() and torch.cuda.get_device_capability()[0] >= 8:
        np.testing.assert_array_equal(got, 8.0)


@needs_gpu
def test_tf32_leaves_float64_exact(tf32):
    tf32(True)
    a, b = rand((70, 65), "float64"), rand((65, 130), "float64", seed=1)
    check_product(gpu(a) @ gpu(b), a, b)


# ---- linear and the gemm_ hook -----------------------------------------------------

@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("xshape", [(129, 70), (70,), (2, 3, 70), (0, 70)])
@pytest.mark.parametrize("with_bias", [False, True])
def test_linear(tf32, dtype, xshape, with_bias):
    tf32(False)
    x, w, bias = rand(xshape, dtype), rand((65, 70), dtype, seed=1), rand(65, dtype, seed=2)
    got = dc.nn.functional.linear(gpu(x), gpu(w), gpu(bias) if with_bias else None)
    ref = x.astype(np.float64) @ w.T.astype(np.float64) + (bias if with_bias else 0)
    assert got.shape == ref.shape and got.device.type == "cuda"
    tol = 1e-12 if dtype == "float64" else 2e-5
    np.testing.assert_allclose(got.numpy(), ref, rtol=tol, atol=tol * 10)


@needs_gpu
def test_linear_transposed_weight_and_no_features(tf32):
    tf32(False)
    x, wt = rand((33, 20)), rand((20, 17), seed=1)       # weight given as a transposed view
    got = dc.nn.functional.linear(gpu(x), gpu(wt).transpose(0, 1), gpu(np.ones(17, np.float32)))
    np.testing.assert_allclose(got.numpy(), x.astype(np.float64) @ wt + 1, rtol=2e-5, atol=2e-5)
    # in_features == 0: the result is the bias alone
    got = dc.nn.functional.linear(gpu(np.zeros((4, 0), np.float32)),
                                  gpu(np.zeros((3, 0), np.float32)),
                                  gpu(np.arange(3, dtype=np.float32)))
    np.testing.assert_array_equal(got.numpy(), np.tile(np.arange(3, dtype=np.float32), (4, 1)))


@needs_gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gemm_hook_alpha_beta(tf32, dtype):
    tf32(False)
    a, b, c = rand((70, 33), dtype), rand((33, 130), dtype, seed=1), rand((70, 130), dtype, seed=2)
    tc = gpu(c)
    dc._C._gemm_(tc._a, gpu(a)._a, gpu(b)._a, 0.5, -2.0)
    ref = 0.5 * (a.astype(np.float64) @ b) - 2.0 * c
    tol = 1e-12 if dtype == "float64" else 2e-5
    np.testing.assert_allclose(tc.numpy(), ref, rtol=tol, atol=tol)
    # beta == 0 ignores C's old values, NaN included; alpha == 0 ignores A and B
    tc = gpu(np.full((70, 130), np.nan, dtype))
    dc._C._gemm_(tc._a, gpu(a)._a, gpu(b)._a, 1.0, 0.0)
    np.testing.assert_allclose(tc.numpy(), a.astype(np.float64) @ b, rtol=tol, atol=tol)
    tc = gpu(c)
    dc._C._gemm_(tc._a, gpu(np.full_like(a, np.nan))._a, gpu(b)._a, 0.0, 3.0)
    np.testing.assert_allclose(tc.numpy(), 3.0 * c, rtol=tol, atol=tol)
    # C column-major (a transposed view): the strided epilogue
    base = gpu(np.zeros((130, 70), dtype))
    dc._C._gemm_(base.transpose(0, 1)._a, gpu(a)._a, gpu(b)._a, 1.0, 0.0)
    np.testing.assert_allclose(base.numpy().T, a.astype(np.float64) @ b, rtol=tol, atol=tol)


# ---- backward -------------------------------------------------------------------

def _grads(device, fn, *arrays):
    ts = [dc.tensor(x, device=device, requires_grad=True) for x in arrays]
    out = fn(*ts)
    out.backward(dc.ones(out.shape, dtype=out.dtype, device=device))
    return [out.detach().cpu().numpy()] + [t.grad.cpu().numpy() for t in ts]


@needs_gpu
@pytest.mark.parametrize("sa,sb", [((33, 20), (20, 17)), ((2, 1, 33, 20), (3, 20, 17)),
                                    ((5, 33, 20), (20, 17)), ((20,), (20, 17)), ((20,), (20,))])
def test_matmul_backward_gpu_matches_cpu(tf32, sa, sb):
    tf32(False)
    a, b = rand(sa, "float64"), rand(sb, "float64", seed=1)
    got = _grads("cuda", lambda x, y: x @ y, a, b)
    ref = _grads("cpu", lambda x, y: x @ y, a, b)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12)


@needs_gpu
@pytest.mark.parametrize("with_bias", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linear_backward_gpu_matches_cpu(tf32, with_bias, dtype):
    tf32(False)
    x, w, bias = rand((4, 9, 20), dtype), rand((17, 20), dtype, seed=1), rand(17, dtype, seed=2)
    fn = (lambda x, w, b: dc.nn.functional.linear(x, w, b)) if with_bias else (
        lambda x, w: dc.nn.functional.linear(x, w))
    args = (x, w, bias) if with_bias else (x, w)
    got, ref = _grads("cuda", fn, *args), _grads("cpu", fn, *args)
    tol = 1e-12 if dtype == "float64" else 1e-4
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=tol, atol=tol)


# ---- errors ---------------------------------------------------------------------

@needs_gpu
def test_mixed_devices_raise():
    a, b = rand((3, 4)), rand((4, 5))

    def cpu(x):
        return dc.tensor(x, device="cpu")
    both = "(cuda:0.*cpu|cpu.*cuda:0)"
    with pytest.raises(RuntimeError, match="matmul.*" + both):
        gpu(a) @ cpu(b)
    with pytest.raises(RuntimeError, match="matmul.*" + both):
        cpu(a) @ gpu(b)
    with pytest.raises(RuntimeError, match="linear.*" + both):
        dc.nn.functional.linear(gpu(a), cpu(b.T.copy()))
    with pytest.raises(RuntimeError, match="linear.*" + both):
        dc.nn.functional.linear(gpu(a), gpu(b.T.copy()), cpu(np.zeros(5, np.float32)))
    with pytest.raises(RuntimeError, match="gemm_.*" + both):
        dc._C._gemm_(gpu(np.zeros((3, 5), np.float32))._a, gpu(a)._a, cpu(b)._a, 1.0, 0.0)


@needs_gpu
def test_shape_and_dtype_errors_on_gpu():
    with pytest.raises(dc.ShapeError, match="cannot be multiplied"):
        gpu(rand((3, 4))) @ gpu(rand((5, 6)))
    with pytest.raises(TypeError, match="mixed dtypes"):
        gpu(rand((3, 4))) @ gpu(rand((4, 5), "float64"))
