// CPU kernels for csrc/ops/linalg.h (matmul.cpp): batched matrix products
// and linear on top of cpu::gemm (gemm.h), declared with cuda::'s in
// ops/kernels/matmul.inc.
#pragma once
#include "core/array.h"

namespace dc::cpu {

#include "ops/kernels/matmul.inc"

}  // namespace dc::cpu
