// CPU kernels for csrc/ops/pool.h (pool.cpp): 2-D max and average pooling,
// declared with cuda::'s in ops/kernels/pool.inc.
#pragma once
#include <cstdint>
#include "core/array.h"
#include "ops/pool.h"

namespace dc::cpu {
#include "ops/kernels/pool.inc"
}  // namespace dc::cpu
