// Indexing ops: advanced (integer-array) indexing and its in-place inverse,
// nonzero, gather and scatter_add_. Basic indexing (ints, slices, None) is
// made of the views in ops/shape.h; the Python layer combines the two.
//
// Advanced indexing follows numpy/PyTorch: `indices` holds one entry per
// leading dim of `a` (missing trailing entries mean "the whole dim"); the
// int64 arrays broadcast together to a shape B; the result has B in place of
// the indexed dims when those are adjacent, else B first, then the other
// dims in order. Negative indices count from the end. Index arrays live on
// a's device or on the CPU (copied over, as PyTorch does for x[cpu_index]),
// so may index_put_'s value when 0-d; gather and scatter_add_ want every
// operand on one device.
#pragma once
#include <optional>
#include <vector>
#include "core/array.h"

namespace dc {

using Indices = std::vector<std::optional<Array>>;

// The geometry of a[indices], worked out by ops/index.cpp for the kernels
// (ops/kernels/index.inc). The index arrays are on a's device.
struct IndexPlan {
  Shape bshape;              // broadcast shape B of the index arrays
  std::vector<int64_t> dims; // the indexed dims of a, ascending
  std::vector<Array> idx;    // their int64 index arrays, viewed with shape B (stride 0 to broadcast)
  std::vector<int64_t> rest; // the other dims of a, in order
  int64_t b_at = 0;          // the result's dims: rest[:b_at], then B, then rest[b_at:]
  Shape result_shape;
};

// a[indices] (always a new array). IndexError for a non-int64 index, an
// index out of range, indices that do not broadcast, or too many indices.
Array index(const Array& a, const Indices& indices);
// a[indices] = values (values broadcast to the shape of a[indices] and of a's
// dtype); with accumulate, a[indices] += values, summing duplicate indices
// in a fixed order on the CPU (on a GPU with atomic adds, in an unspecified
// order, as PyTorch's default). Bumps a's storage version.
void index_put_(const Array& a, const Indices& indices, const Array& values, bool accumulate);
// The positions of non-zero elements, one row per element: (n, a.ndim) int64.
Array nonzero(const Array& a);
// out[i][j][k] = a[index[i][j][k]][j][k] for dim 0 (and likewise for other
// dims); out has index's shape. Indices must lie in [0, a.shape[dim]).
Array gather(const Array& a, int64_t dim, const Array& index);
// a[index[i][j][k]][j][k] += src[i][j][k] for dim 0; the inverse of gather.
void scatter_add_(const Array& a, int64_t dim, const Array& index, const Array& src);

}  // namespace dc
