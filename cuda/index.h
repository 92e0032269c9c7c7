// CUDA kernels for csrc/ops/index.h (index.cu), declared with cpu::'s in
// ops/kernels/index.inc. Kernels are queued on the device's stream;
// find_out_of_range and nonzero wait for it (the host must read a flag or a
// count).
#pragma once
#include <cstdint>
#include "core/array.h"
#include "ops/index.h"  // IndexPlan

namespace dc::cuda {
#include "ops/kernels/index.inc"
}  // namespace dc::cuda
