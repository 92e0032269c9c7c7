// General matrix multiply on the GPU, written by us (design, FLOP and byte
// counts in gemm.cu). Declared apart from the kernels so that matmul, linear
// and the im2col convolution (cuda/conv.cu) call one GEMM.
#pragma once
#include <cstdint>

namespace dc::cuda {

// gemm (declared with cpu::gemm in ops/kernels/gemm.inc): the pointers are
// device memory of the current device, and the product is queued on that
// device's stream (the caller holds a DeviceGuard). Fast when A and B each
// have a unit stride in one dimension and C is row-major (rsc >= n,
// csc == 1); any strides are correct. A product with few output tiles and a
// long k is split along k (a workspace Array on the same stream, summed in a
// fixed order: results stay deterministic). float runs in full float32
// unless TF32 is allowed (set_allow_tf32). alpha == 0 gives C = beta * C
// without reading A or B.
#include "ops/kernels/gemm.inc"

// Batched form: `batch` products whose operands start `sa`, `sb`, `sc`
// elements apart (sa == 0 or sb == 0: a broadcast operand, read, not copied).
template <class T>
void gemm_batched(int64_t batch, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                  int64_t sa, int64_t rsa, int64_t csa, const T* b, int64_t sb, int64_t rsb,
                  int64_t csb, T beta, T* c, int64_t sc, int64_t rsc, int64_t csc);

// PyTorch's torch.backends.cuda.matmul.allow_tf32: float32 products may use
// TF32 tensor cores (10-bit mantissa inputs, float32 accumulate). Off by default.
void set_allow_tf32(bool allow);
bool allow_tf32();

}  // namespace dc::cuda
