// CPU kernels for csrc/ops/optim.h (optim.cpp), declared with cuda::'s in
// ops/kernels/optim.inc, and the CPU's own Adam hooks.
#pragma once
#include <cstdint>
#include <vector>
#include "core/array.h"
#include "ops/optim.h"

namespace dc::cpu {
// adam_step_reference is plain scalar loops, also the path on CPUs without
// AVX2.
#include "ops/kernels/optim.inc"

// True when adam_step takes the AVX2/FMA path on this CPU.
bool adam_uses_avx2();

}  // namespace dc::cpu
