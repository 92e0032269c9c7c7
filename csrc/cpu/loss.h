// CPU kernels for csrc/ops/loss.h (loss.cpp), declared with cuda::'s in
// ops/kernels/loss.inc.
#pragma once
#include <cstdint>
#include "core/array.h"
#include "ops/loss.h"

namespace dc::cpu {
#include "ops/kernels/loss.inc"
}  // namespace dc::cpu
