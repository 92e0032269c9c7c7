// CPU kernels for csrc/ops/reduce.h. The op has checked everything: `reduced`
// has one flag per input dim, outputs are fresh contiguous arrays whose
// element order is the row-major order of the kept dims (with or without
// keepdim's size-1 dims), and a reduction over an empty set is only asked
// of ops that define one (sum, mean, var, all, any).
#pragma once
#include <vector>
#include "core/array.h"
#include "ops/reduce.h"

namespace dc::cpu {

// out = op over the flagged dims of a. Sum of bool/int64 writes int64; All/Any
// write bool; the others write a's dtype. `correction` is used by Var/Std only.
void reduce(ReduceOp op, const Array& out, const Array& a, const std::vector<bool>& reduced,
            double correction = 0.0);

// indices = position of the max (is_max) or min over the flagged dims, counted
// in the row-major order of those dims; the first one on ties, NaN beats any
// number. `values` (optional, a's dtype) receives the value found.
void arg_reduce(bool is_max, const Array* values, const Array& indices, const Array& a,
                const std::vector<bool>& reduced);

}  // namespace dc::cpu
