// CUDA kernels for csrc/ops/linalg.h (matmul.cu): batched matrix products
// and linear on top of cuda::gemm (gemm.h), declared with cpu::'s in
// ops/kernels/matmul.inc.
#pragma once
#include <cstdint>
#include "core/array.h"

namespace dc::cuda {

#include "ops/kernels/matmul.inc"

// c = alpha * a @ b + beta * c for 2-D arrays in any strides (the test hook
// gemm_ of ops/linalg.h); one dtype, checked by the caller.
void gemm_inplace(const Array& c, const Array& a, const Array& b, double alpha, double beta);

}  // namespace dc::cuda
