// CPU kernels for csrc/ops/norm.h (norm.cpp), declared with cuda::'s in
// ops/kernels/norm.inc.
#pragma once
#include <cstdint>
#include "core/array.h"
#include "ops/norm.h"

namespace dc::cpu {
#include "ops/kernels/norm.inc"
}  // namespace dc::cpu
