// CUDA kernels for csrc/ops/conv.h (conv.cu): 2-D convolution as im2col +
// our GEMM (cuda/gemm.h), declared with cpu::'s in ops/kernels/conv.inc.
#pragma once
#include "core/array.h"
#include "ops/conv.h"

namespace dc::cuda {
#include "ops/kernels/conv.inc"
}  // namespace dc::cuda
