// CPU kernels for csrc/ops/linalg.h (matmul.cpp): batched matrix products
// and linear on top of cpu::gemm (gemm.h), declared with cuda::'s in
// ops/kernels/matmul.inc.
#pragma once
#include <cstdint>
#include "core/array.h"

namespace dc::cpu {

#include "ops/kernels/matmul.inc"

// The stride between consecutive rows of x seen as a (numel / x.shape[-1],
// x.shape[-1]) matrix, or -1 if its leading dims cannot be merged without a
// copy. A 1-D x is one row (stride 0).
int64_t merged_row_stride(const Array& x);

}  // namespace dc::cpu
