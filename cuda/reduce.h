// CUDA kernels for csrc/ops/reduce.h (reduce.cu), declared with cpu::'s in
// ops/kernels/reduce.inc. Kernels are queued on the device's stream.
#pragma once
#include <vector>
#include "core/array.h"
#include "ops/reduce.h"

namespace dc::cuda {
#include "ops/kernels/reduce.inc"
}  // namespace dc::cuda
