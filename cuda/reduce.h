// CUDA kernels for csrc/ops/reduce.h, with the contract of cpu/reduce.h:
// `reduced` has one flag per input dim, outputs are fresh contiguous arrays in
// the row-major order of the kept dims, and an empty reduction is only asked
// of ops that define one. Kernels are queued on the device's stream.
#pragma once
#include <vector>
#include "core/array.h"
#include "ops/reduce.h"

namespace dc::cuda {

// out = op over the flagged dims of a (dtypes as cpu::reduce).
void reduce(ReduceOp op, const Array& out, const Array& a, const std::vector<bool>& reduced,
            double correction = 0.0);

// indices (and values, if given) of the max/min over the flagged dims, with
// cpu::arg_reduce's rules: first index on ties, NaN beats any number.
void arg_reduce(bool is_max, const Array* values, const Array& indices, const Array& a,
                const std::vector<bool>& reduced);

}  // namespace dc::cuda
