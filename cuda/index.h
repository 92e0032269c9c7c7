// CUDA kernels for csrc/ops/index.h, with the contract of cpu/index.h: inputs
// are checked (index values in range, shapes agree, dtypes match) and every
// array, index arrays included, is on one GPU. Kernels are queued on the
// device's stream; find_out_of_range and nonzero wait for it (the host must
// read a flag or a count).
#pragma once
#include "core/array.h"
#include "ops/index.h"

namespace dc::cuda {

// out = a[plan] (out has plan.result_shape).
void index(const Array& out, const Array& a, const IndexPlan& plan);
// a[plan] = values, or += with accumulate (atomic adds: duplicate indices sum
// in an unspecified order; without accumulate one of them wins, as PyTorch).
void index_put(const Array& a, const Array& values, const IndexPlan& plan, bool accumulate);
// Whether some value of the int64 array `index` lies outside [lo, hi); the
// first such value (in row-major order) goes to *bad.
bool find_out_of_range(const Array& index, int64_t lo, int64_t hi, int64_t* bad);
// The (n, a.ndim) int64 positions of a's non-zero elements, in row-major
// order; a is contiguous.
Array nonzero(const Array& a);
// out = gather(a, dim, index); a and index have at least one dim.
void gather(const Array& out, const Array& a, int64_t dim, const Array& index);
// a[... index ...] += src along dim (atomic adds); a, index and src have at
// least one dim.
void scatter_add(const Array& a, int64_t dim, const Array& index, const Array& src);

}  // namespace dc::cuda
