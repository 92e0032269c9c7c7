// GPU random kernels for csrc/ops/creation.h, the contract of cpu/random.h:
// `out` is contiguous and element i takes Philox counter (offset + i) under
// key `seed`, through the same functions (core/random.h), so a seed draws
// the same numbers on the CPU and the GPU.
#pragma once
#include <cstdint>
#include "core/array.h"

namespace dc::cuda {

void uniform(const Array& out, uint64_t offset, uint64_t seed);
void normal(const Array& out, uint64_t offset, uint64_t seed);
void randint(const Array& out, int64_t low, int64_t high, uint64_t offset, uint64_t seed);

}  // namespace dc::cuda
