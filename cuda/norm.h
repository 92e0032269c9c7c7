// CUDA kernels for csrc/ops/norm.h, declared with cpu::'s in
// ops/kernels/norm.inc. Design and byte counts in norm.cu.
#pragma once
#include <cstdint>
#include "core/array.h"
#include "ops/norm.h"

namespace dc::cuda {
#include "ops/kernels/norm.inc"
}  // namespace dc::cuda
