// CPU kernels for csrc/ops/index.h. Inputs are already checked: index values
// are in range, shapes agree, dtypes match.
#pragma once
#include <vector>
#include "core/array.h"
#include "ops/index.h"  // IndexPlan

namespace dc::cpu {

// out = a[plan] (out has plan.result_shape).
void index(const Array& out, const Array& a, const IndexPlan& plan);
// a[plan] = values, or += with accumulate; values has plan.result_shape
// (broadcast strides allowed) and a's dtype, and does not overlap a.
void index_put(const Array& a, const Array& values, const IndexPlan& plan, bool accumulate);
// Whether some value of the int64 array `index` lies outside [lo, hi); the
// first such value (in row-major order) goes to *bad.
bool find_out_of_range(const Array& index, int64_t lo, int64_t hi, int64_t* bad);
// The (n, a.ndim) int64 positions of a's non-zero elements, in row-major order.
Array nonzero(const Array& a);
// out = gather(a, dim, index); a and index have at least one dim.
void gather(const Array& out, const Array& a, int64_t dim, const Array& index);
// a[... index ...] += src along dim; a, index and src have at least one dim.
void scatter_add(const Array& a, int64_t dim, const Array& index, const Array& src);

}  // namespace dc::cpu
