// CPU kernels for csrc/ops/index.h (index.cpp), declared with cuda::'s in
// ops/kernels/index.inc.
#pragma once
#include <cstdint>
#include "core/array.h"
#include "ops/index.h"  // IndexPlan

namespace dc::cpu {
#include "ops/kernels/index.inc"
}  // namespace dc::cpu
