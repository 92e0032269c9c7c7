// GPU random kernels (random.cu), declared with cpu::'s in
// ops/kernels/random.inc.
#pragma once
#include <cstdint>
#include "core/array.h"

namespace dc::cuda {
#include "ops/kernels/random.inc"
}  // namespace dc::cuda
