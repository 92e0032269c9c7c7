// CUDA kernels for csrc/ops/activation.h (activation.cu), declared with
// cpu::'s in ops/kernels/activation.inc.
#pragma once
#include <cstdint>
#include "core/array.h"
#include "ops/activation.h"

namespace dc::cuda {
#include "ops/kernels/activation.inc"
}  // namespace dc::cuda
