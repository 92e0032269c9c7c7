// CPU random kernels over contiguous arrays; element i uses Philox counter
// (offset + i) under key `seed`.
#pragma once
#include <cstdint>
#include "core/array.h"

namespace dc::cpu {

void uniform(const Array& out, uint64_t offset, uint64_t seed);
void normal(const Array& out, uint64_t offset, uint64_t seed);
void randint(const Array& out, int64_t low, int64_t high, uint64_t offset, uint64_t seed);

}  // namespace dc::cpu
