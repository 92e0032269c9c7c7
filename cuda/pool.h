// CUDA kernels for csrc/ops/pool.h (pool.cu): 2-D max and average pooling,
// declared with cpu::'s in ops/kernels/pool.inc.
#pragma once
#include <cstdint>
#include "core/array.h"
#include "ops/pool.h"

namespace dc::cuda {
#include "ops/kernels/pool.inc"
}  // namespace dc::cuda
