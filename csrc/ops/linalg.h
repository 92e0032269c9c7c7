// Linear algebra ops.
#pragma once
#include <string>
#include "core/array.h"

namespace dc {

// PyTorch's matmul: 1-D x 1-D is a dot product (0-d result); a 1-D first
// operand is a row (1, k) and a 1-D second operand a column (k, 1), the added
// dim removed from the result; N-D operands are stacks of matrices whose batch
// dims broadcast (without copying). dtypes: float32, float64, int64 (int64
// with a float promotes to the float); bool and float32 with float64 raise
// TypeError.
Array matmul(const Array& a, const Array& b);

// PyTorch's linear: input (..., in) @ weight^T + bias, weight (out, in),
// bias (out,) or undefined; the result is (..., out). input may be 1-D. One
// floating dtype for all; the bias is the product's initial C, not a
// separate pass.
Array linear(const Array& input, const Array& weight, const Array& bias);

// Test hook for alpha and beta: c = alpha * a @ b + beta * c in place, a
// (m, k), b (k, n), c (m, n), 2-D in any strides, one dtype (float32,
// float64 or int64); c must not share memory with a or b. beta == 0 ignores
// c's old values (NaN included).
void gemm_(const Array& c, const Array& a, const Array& b, double alpha, double beta);

// The GEMM micro-kernel for float32/float64: "auto" (the widest the CPU
// has: AVX-512, else AVX2+FMA, else portable), "portable", "avx2" or
// "avx512" (RuntimeError if the CPU lacks it). Test hook; the environment
// variable DEEPCORE_GEMM_KERNEL=portable or =avx2 sets the initial choice.
void set_gemm_kernel(const std::string& name);
// "avx512", "avx2" or "portable": the kernel in use now.
std::string gemm_kernel();

// PyTorch's torch.backends.cuda.matmul.allow_tf32: float32 products on the
// GPU may use TF32 tensor cores (~1e-3 relative error). Off by default; a
// process-wide flag, kept (and readable) on any build.
void set_allow_tf32(bool allow);
bool allow_tf32();

// ---------------------------------------------------------------- kernel interface
// How the cpu:: and cuda:: matmul and linear kernels (ops/kernels/matmul.inc)
// lay their arrays onto GEMM calls, worked out once for both backends.

// The stride between consecutive rows of x seen as a (numel / x.shape[-1],
// x.shape[-1]) matrix, or -1 if its leading dims cannot be merged without a
// copy. A 1-D x is one row (stride 0).
int64_t merged_row_stride(const Array& x);

// The batched product out (..., m, n) = a (..., m, k) @ b (..., k, n) as the
// matmul kernels receive it (batch dims broadcast, stride 0 where an operand
// is broadcast; out contiguous).
struct MatmulPlan {
  int64_t batch, m, n, k;  // batch: the number of products (out's batch dims)
  int64_t rsa, csa, rsb, csb;  // the row and column strides of each A and B
  // When every product shares one B (a matrix against a stack) and A's batch
  // and row dims merge into one stride, the whole batch is one tall product
  // of batch * m rows, A's rows this far apart, which packs B once and splits
  // well over threads. Else -1.
  int64_t tall_row_stride;
  bool empty() const { return batch == 0 || m == 0 || n == 0; }
};
MatmulPlan plan_matmul(const Array& out, const Array& a, const Array& b);

}  // namespace dc
