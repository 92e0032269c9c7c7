// Checks and dispatch for the indexing ops (see index.h). Every index value
// is range-checked here, before a kernel runs.
//
// Devices: gather and scatter_add_ want every operand on one device. a[i]
// and index_put_ also take CPU index arrays for a GPU tensor (range-checked
// on the CPU, then copied to the GPU), and index_put_ a 0-d CPU value, as
// PyTorch does; an index on a GPU for a CPU tensor, or on another GPU, raises.
#include "ops/index.h"
#include <algorithm>
#include <string>
#include "cuda/index.h"
#include "cpu/index.h"
#include "ops/checks.h"
#include "ops/creation.h"
#include "ops/elementwise.h"

namespace dc {

namespace {

// x seen with `shape` (to which it broadcasts), by zero strides.
Array broadcast_view(const Array& x, const Shape& shape) {
  Shape strides(shape.size(), 0);
  const size_t lead = shape.size() - x.shape().size();
  for (size_t i = 0; i < x.shape().size(); ++i)
    strides[lead + i] = x.shape()[i] == 1 ? 0 : x.strides()[i];
  return x.as_strided(shape, strides, x.offset());
}

// 0-d arrays count as 1-d of size 1 in gather/scatter_add_, as in PyTorch.
Array as_1d(const Array& x) { return x.ndim() == 0 ? x.as_strided({1}, {1}, x.offset()) : x; }

// Writing through a broadcast (stride 0) dim would hit one location many times.
void check_no_internal_overlap(const char* op, const Array& a) {
  for (int64_t d = 0; d < a.ndim(); ++d)
    if (a.shape()[d] > 1 && a.strides()[d] == 0)
      fail<RuntimeError>(op, ": more than one element of the written-to tensor (shape ",
                         shape_str(a.shape()), ", strides ", shape_str(a.strides()),
                         ") refers to a single memory location; clone it first");
}

// The geometry of a[indices], with every check done.
IndexPlan make_plan(const char* op, const Array& a, const Indices& indices) {
  if (static_cast<int64_t>(indices.size()) > a.ndim())
    fail<IndexError>(op, ": too many indices for tensor of dimension ", a.ndim(), " (got ",
                     indices.size(), ")");
  IndexPlan p;
  std::vector<const Array*> idx;
  size_t nd = 0;
  for (size_t d = 0; d < indices.size(); ++d) {
    if (!indices[d]) continue;
    const Array& ix = *indices[d];
    if (ix.device() != a.device() && !ix.device().is_cpu())
      fail<RuntimeError>(op, ": indices should be either on cpu or on the same device as the "
                             "indexed tensor ('", a.device().str(), "'), got an index on '",
                         ix.device().str(), "'");
    if (ix.dtype() != DType::Int64)
      fail<IndexError>(op, ": tensors used as indices must be int64 (convert bool masks with "
                           "nonzero), got ", dtype_name(ix.dtype()), " for dimension ", d);
    p.dims.push_back(static_cast<int64_t>(d));
    idx.push_back(&ix);
    nd = std::max(nd, ix.shape().size());
  }
  // The index arrays broadcast together (IndexError on mismatch, as numpy).
  Shape b(nd, 1);
  for (const Array* ix : idx) {
    const Shape& s = ix->shape();
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t& x = b[nd - s.size() + i];
      if (s[i] == x || s[i] == 1) continue;
      if (x != 1) {
        std::string shapes;
        for (const Array* other : idx) shapes += (shapes.empty() ? "" : ", ") + shape_str(other->shape());
        fail<IndexError>(op, ": shape mismatch: indexing tensors could not be broadcast together "
                             "with shapes ", shapes);
      }
      x = s[i];
    }
  }
  p.bshape = b;
  for (size_t j = 0; j < idx.size(); ++j) {
    const int64_t d = p.dims[j], n = a.shape()[d];
    int64_t bad = 0;
    if (DC_DISPATCH(*idx[j], find_out_of_range, *idx[j], -n, n, &bad))
      fail<IndexError>(op, ": index ", bad, " is out of bounds for dimension ", d, " with size ", n);
    p.idx.push_back(broadcast_view(to_device(*idx[j], a.device()), b));
  }
  for (int64_t d = 0; d < a.ndim(); ++d)
    if (std::find(p.dims.begin(), p.dims.end(), d) == p.dims.end()) p.rest.push_back(d);
  // Adjacent indexed dims are replaced by B in place; otherwise B goes first.
  const bool adjacent =
      !p.dims.empty() && p.dims.back() - p.dims.front() + 1 == static_cast<int64_t>(p.dims.size());
  p.b_at = adjacent ? p.dims.front() : 0;
  for (int64_t k = 0; k < p.b_at; ++k) p.result_shape.push_back(a.shape()[p.rest[k]]);
  p.result_shape.insert(p.result_shape.end(), b.begin(), b.end());
  for (size_t k = p.b_at; k < p.rest.size(); ++k) p.result_shape.push_back(a.shape()[p.rest[k]]);
  check_shape(op, p.result_shape);
  return p;
}

}  // namespace

Array index(const Array& a, const Indices& indices) {
  IndexPlan p = make_plan("index", a, indices);
  Array out = Array::empty(p.result_shape, a.dtype(), a.device());
  DC_DISPATCH(a, index, out, a, p);
  return out;
}

void index_put_(const Array& a, const Indices& indices, const Array& values_in, bool accumulate) {
  // A 0-d CPU value is copied to a's device, as PyTorch does.
  const bool scalar_from_cpu = values_in.ndim() == 0 && values_in.device().is_cpu();
  const Array values = scalar_from_cpu ? to_device(values_in, a.device()) : values_in;
  check_same_device("index_put_", a, values);
  IndexPlan p = make_plan("index_put_", a, indices);
  if (values.dtype() != a.dtype())
    fail<TypeError>("index_put_: values of dtype ", dtype_name(values.dtype()),
                    " cannot be put into a tensor of dtype ", dtype_name(a.dtype()),
                    " (convert them with .to())");
  const Shape& r = p.result_shape;
  bool fits = values.ndim() <= static_cast<int64_t>(r.size());
  for (int64_t i = 0; fits && i < values.ndim(); ++i) {
    const int64_t want = r[r.size() - values.ndim() + i], have = values.shape()[i];
    fits = have == want || have == 1;
  }
  if (!fits)
    fail<ShapeError>("index_put_: shape mismatch: value tensor of shape ", shape_str(values.shape()),
                     " cannot be broadcast to indexing result of shape ", shape_str(r));
  check_no_internal_overlap("index_put_", a);
  a.storage()->bump_version();
  // Values that alias a (x[i] = x[j]) are read from a copy.
  const Array v = values.storage() == a.storage() ? to_dtype(values, values.dtype(), true) : values;
  DC_DISPATCH(a, index_put, a, broadcast_view(v, r), p, accumulate);
}

Array nonzero(const Array& a) {
  return DC_DISPATCH(a, nonzero, contiguous(a));
}

Array gather(const Array& a, int64_t dim, const Array& index) {
  check_same_device("gather", a, index);
  const int64_t d = wrap_dim("gather", dim, a.ndim());
  if (index.dtype() != DType::Int64)
    fail<TypeError>("gather: expected an int64 index tensor, got ", dtype_name(index.dtype()));
  const Array a1 = as_1d(a), i1 = as_1d(index);
  if (a1.ndim() != i1.ndim())
    fail<ShapeError>("gather: index tensor of shape ", shape_str(index.shape()),
                     " must have the same number of dimensions as input tensor of shape ",
                     shape_str(a.shape()));
  for (int64_t k = 0; k < a1.ndim(); ++k)
    if (k != d && i1.shape()[k] > a1.shape()[k])
      fail<ShapeError>("gather: size does not match at dimension ", k, ": expected index ",
                       shape_str(index.shape()), " to be no larger than input ",
                       shape_str(a.shape()), " apart from dimension ", d);
  const int64_t n = a1.shape()[d];
  int64_t bad = 0;
  if (DC_DISPATCH(index, find_out_of_range, index, 0, n, &bad))
    fail<IndexError>("gather: index ", bad, " is out of bounds for dimension ", d, " with size ", n);
  Array out = Array::empty(index.shape(), a.dtype(), a.device());
  if (out.numel() > 0) DC_DISPATCH(a, gather, as_1d(out), a1, d, i1);
  return out;
}

void scatter_add_(const Array& a, int64_t dim, const Array& index, const Array& src) {
  check_same_device("scatter_add_", a, index);
  check_same_device("scatter_add_", a, src);
  const int64_t d = wrap_dim("scatter_add_", dim, a.ndim());
  if (index.dtype() != DType::Int64)
    fail<TypeError>("scatter_add_: expected an int64 index tensor, got ", dtype_name(index.dtype()));
  if (src.dtype() != a.dtype())
    fail<TypeError>("scatter_add_: src of dtype ", dtype_name(src.dtype()),
                    " does not match the tensor's dtype ", dtype_name(a.dtype()));
  const Array a1 = as_1d(a), i1 = as_1d(index), s1 = as_1d(src);
  if (i1.ndim() != a1.ndim() || s1.ndim() != a1.ndim())
    fail<ShapeError>("scatter_add_: index ", shape_str(index.shape()), " and src ",
                     shape_str(src.shape()), " must have as many dimensions as the tensor ",
                     shape_str(a.shape()));
  for (int64_t k = 0; k < a1.ndim(); ++k)
    if (i1.shape()[k] > s1.shape()[k] || (k != d && i1.shape()[k] > a1.shape()[k]))
      fail<ShapeError>("scatter_add_: expected index ", shape_str(index.shape()),
                       " to be no larger than the tensor ", shape_str(a.shape()),
                       " apart from dimension ", d, " and no larger than src ",
                       shape_str(src.shape()), " (at dimension ", k, ")");
  const int64_t n = a1.shape()[d];
  int64_t bad = 0;
  if (DC_DISPATCH(index, find_out_of_range, index, 0, n, &bad))
    fail<IndexError>("scatter_add_: index ", bad, " is out of bounds for dimension ", d,
                     " with size ", n);
  check_no_internal_overlap("scatter_add_", a);
  a.storage()->bump_version();
  if (index.numel() == 0) return;
  // Operands that alias a are read from copies.
  auto own = [&](const Array& x) {
    return x.storage() == a.storage() ? as_1d(to_dtype(x, x.dtype(), true)) : x;
  };
  DC_DISPATCH(a, scatter_add, a1, d, own(i1), own(s1));
}

}  // namespace dc
