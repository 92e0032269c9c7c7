// CUDA kernels for csrc/ops/optim.h, declared with cpu::'s in
// ops/kernels/optim.inc. Design in optim.cu.
#pragma once
#include <cstdint>
#include <vector>
#include "core/array.h"
#include "ops/optim.h"

namespace dc::cuda {
// adam_step is one launch for all the tensors (a multi-tensor kernel over
// their concatenated elements); adam_step_reference is the same kernel with
// its 16-byte vector path switched off (every element through the scalar loop).
#include "ops/kernels/optim.inc"
}  // namespace dc::cuda
