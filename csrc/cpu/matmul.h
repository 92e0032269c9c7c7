// CPU kernels for csrc/ops/linalg.h: the matrix product.
#pragma once
#include <cstdint>
#include "core/array.h"

namespace dc::cpu {

// C = A @ B for one product: A is m x k with element strides (rsa, csa), B is
// k x n with strides (rsb, csb), any layout (transposed views included); C is
// m x n with row stride ldc and unit column stride and is overwritten (k == 0
// gives zeros). Splits rows over threads when the product is big enough.
// Instantiated for float, double and int64_t. The single entry point that a
// faster GEMM replaces.
template <class T>
void gemm(int64_t m, int64_t n, int64_t k, const T* a, int64_t rsa, int64_t csa, const T* b,
          int64_t rsb, int64_t csb, T* c, int64_t ldc);

// Batched product: out (..., m, n) is contiguous; a (..., m, k) and b (..., k, n)
// have out's number of dims and batch dims already broadcast to out's, with
// stride 0 where an operand is broadcast (it is never materialised). All three
// share one dtype (float32, float64 or int64).
void matmul(const Array& out, const Array& a, const Array& b);

}  // namespace dc::cpu
