// CUDA kernels for csrc/ops/loss.h (loss.cu), declared with cpu::'s in
// ops/kernels/loss.inc.
#pragma once
#include <cstdint>
#include "core/array.h"
#include "ops/loss.h"

namespace dc::cuda {
#include "ops/kernels/loss.inc"
}  // namespace dc::cuda
