// CPU kernels for csrc/ops/elementwise.h (elementwise.cpp), declared with
// cuda::'s in ops/kernels/elementwise.inc.
#pragma once
#include <optional>
#include "core/array.h"
#include "ops/elementwise.h"

namespace dc::cpu {
#include "ops/kernels/elementwise.inc"
}  // namespace dc::cpu
