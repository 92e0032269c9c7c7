// GPU kernels for csrc/ops/elementwise.h (elementwise.cu), declared with
// cpu::'s in ops/kernels/elementwise.inc. Contiguous operands take a
// vectorised path.
#pragma once
#include <optional>
#include "core/array.h"
#include "ops/elementwise.h"

namespace dc::cuda {
#include "ops/kernels/elementwise.inc"
}  // namespace dc::cuda
