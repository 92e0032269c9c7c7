// CPU kernels for csrc/ops/linalg.h: batched matrix products and linear, on
// top of cpu::gemm (gemm.h).
#pragma once
#include <cstdint>
#include "core/array.h"

namespace dc::cpu {

// Batched product: out (..., m, n) is contiguous; a (..., m, k) and b (..., k, n)
// have out's number of dims and batch dims already broadcast to out's, with
// stride 0 where an operand is broadcast (it is never materialised). All three
// share one dtype (float32, float64 or int64).
void matmul(const Array& out, const Array& a, const Array& b);

// The stride between consecutive rows of x seen as a (numel / x.shape[-1],
// x.shape[-1]) matrix, or -1 if its leading dims cannot be merged without a
// copy. A 1-D x is one row (stride 0).
int64_t merged_row_stride(const Array& x);

// out (..., n) = x (..., k) @ w^T + bias: w is (n, k) in any strides, bias is
// (n,) or undefined, x has merged_row_stride(x) >= 0, out is contiguous; all
// one floating dtype. The bias is written into out first and the product
// added to it (beta = 1), so there is no separate bias pass.
void linear(const Array& out, const Array& x, const Array& w, const Array& bias);

}  // namespace dc::cpu
