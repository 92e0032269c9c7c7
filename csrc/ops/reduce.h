// Reductions, with PyTorch's semantics. `dims` lists the dims to reduce
// (negative values wrap; duplicates and out-of-range dims raise); None or an
// empty list reduces every dim. keepdim keeps reduced dims as size 1. A 0-d
// array accepts dim 0 and -1.
//
// Dtypes: sum of bool/int64 gives int64, of floats the input's dtype; mean
// var and std need floating inputs; amax/amin/max_dim/min_dim keep the dtype;
// all/any give bool; indices are int64.
// Empty reductions: sum 0, mean nan, var/std nan, all true, any false; amax,
// amin, argmax, argmin, max_dim and min_dim raise (there is no identity).
#pragma once
#include <optional>
#include <utility>
#include <vector>
#include "core/array.h"

namespace dc {

using Dims = std::optional<std::vector<int64_t>>;

// What a reduction kernel computes (cpu::reduce and cuda::reduce share it).
enum class ReduceOp { Sum, Mean, Max, Min, All, Any, Var, Std };

Array sum(const Array& a, const Dims& dims, bool keepdim);
Array mean(const Array& a, const Dims& dims, bool keepdim);
// Sum of squared deviations / max(0, n - correction): correction 1 is the
// unbiased estimate; n <= correction gives inf or nan, as PyTorch.
Array var(const Array& a, const Dims& dims, double correction, bool keepdim);
// sqrt(var(...)).
Array stddev(const Array& a, const Dims& dims, double correction, bool keepdim);
// NaN propagates.
Array amax(const Array& a, const Dims& dims, bool keepdim);
Array amin(const Array& a, const Dims& dims, bool keepdim);
Array all(const Array& a, const Dims& dims, bool keepdim);
Array any(const Array& a, const Dims& dims, bool keepdim);

// Index of the first max/min along `dim` (NaN counts as the max and the
// min); without dim, the index into the flattened array.
Array argmax(const Array& a, std::optional<int64_t> dim, bool keepdim);
Array argmin(const Array& a, std::optional<int64_t> dim, bool keepdim);
// (values, indices) along `dim` in one pass.
std::pair<Array, Array> max_dim(const Array& a, int64_t dim, bool keepdim);
std::pair<Array, Array> min_dim(const Array& a, int64_t dim, bool keepdim);

}  // namespace dc
