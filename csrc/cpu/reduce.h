// CPU kernels for csrc/ops/reduce.h (reduce.cpp), declared with cuda::'s in
// ops/kernels/reduce.inc.
#pragma once
#include <vector>
#include "core/array.h"
#include "ops/reduce.h"

namespace dc::cpu {
#include "ops/kernels/reduce.inc"
}  // namespace dc::cpu
