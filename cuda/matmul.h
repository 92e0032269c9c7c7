// CUDA kernels for csrc/ops/linalg.h: batched matrix products and linear on
// top of cuda::gemm (gemm.h), with the signatures of cpu/matmul.h (the ops
// layer dispatches to one or the other).
#pragma once
#include "core/array.h"

namespace dc::cuda {

// Batched product: out (..., m, n) is contiguous; a (..., m, k) and b (..., k, n)
// have out's number of dims and batch dims already broadcast to out's, with
// stride 0 where an operand is broadcast (never materialised). One dtype:
// float32, float64 or int64.
void matmul(const Array& out, const Array& a, const Array& b);

// out (..., n) = x (..., k) @ w^T + bias: w is (n, k) in any strides, bias is
// (n,) or undefined, x has cpu::merged_row_stride(x) >= 0, out is contiguous;
// one floating dtype. out's rows are set to the bias, then the product is
// added to them (beta = 1).
void linear(const Array& out, const Array& x, const Array& w, const Array& bias);

// c = alpha * a @ b + beta * c for 2-D arrays in any strides (the test hook
// gemm_ of ops/linalg.h); one dtype, checked by the caller.
void gemm_inplace(const Array& c, const Array& a, const Array& b, double alpha, double beta);

}  // namespace dc::cuda
