// CPU random kernels (random.cpp), declared with cuda::'s in
// ops/kernels/random.inc.
#pragma once
#include <cstdint>
#include "core/array.h"

namespace dc::cpu {
#include "ops/kernels/random.inc"
}  // namespace dc::cpu
