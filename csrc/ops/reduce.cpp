// Checks and dispatch for the reductions (see reduce.h).
#include "ops/reduce.h"
#include "cuda/reduce.h"
#include "cpu/reduce.h"
#include "ops/checks.h"

namespace dc {

namespace {

struct Plan {
  std::vector<bool> reduced;  // one flag per input dim
  Shape out_shape;
};

// Validates and wraps `dims`; None or [] means every dim.
Plan plan_reduction(const char* op, const Array& a, const Dims& dims, bool keepdim) {
  const int64_t nd = a.ndim();
  Plan p;
  p.reduced.assign(nd, dims ? dims->empty() : true);
  if (dims) {
    std::vector<bool> seen(nd == 0 ? 1 : nd, false);
    for (int64_t d : *dims) {
      int64_t w = wrap_dim(op, d, nd);
      if (seen[w]) fail<RuntimeError>(op, ": dim ", w, " appears multiple times in the list of dims");
      seen[w] = true;
      if (nd > 0) p.reduced[w] = true;
    }
  }
  for (int64_t d = 0; d < nd; ++d) {
    if (!p.reduced[d]) p.out_shape.push_back(a.shape()[d]);
    else if (keepdim) p.out_shape.push_back(1);
  }
  return p;
}

bool is_whole(const Dims& dims) { return !dims || dims->empty(); }

// max/min-like ops have no identity: refuse to reduce an empty set.
void require_nonempty(const char* op, const Array& a, const Plan& p, bool whole, bool index_error) {
  if (a.numel() != 0) return;
  if (whole) {
    std::string msg = str(op, ": expected reduction dim to be specified for an input with 0 "
                              "elements (shape ", shape_str(a.shape()), "); specify the "
                              "reduction dim with the 'dim' argument");
    if (index_error) throw IndexError(msg);
    throw RuntimeError(msg);
  }
  for (int64_t d = 0; d < a.ndim(); ++d)
    if (p.reduced[d] && a.shape()[d] == 0)
      fail<IndexError>(op, ": expected reduction dim ", d, " to have non-zero size (input shape ",
                       shape_str(a.shape()), ")");
}

// Checks, allocates the output and runs the kernel. `no_identity`: max/min
// ops, which refuse an empty reduction.
Array reduce_to(const char* op, ReduceOp kind, DType out_dtype, const Array& a,
                const Dims& dims, bool keepdim, double correction = 0.0,
                bool no_identity = false) {
  Plan p = plan_reduction(op, a, dims, keepdim);
  if (no_identity) require_nonempty(op, a, p, is_whole(dims), /*index_error=*/false);
  Array out = Array::empty(p.out_shape, out_dtype, a.device());
  DC_DISPATCH(a, reduce, kind, out, a, p.reduced, correction);
  return out;
}

std::pair<Array, Array> arg_reduce(const char* op, bool is_max, bool with_values, const Array& a,
                                   std::optional<int64_t> dim, bool keepdim) {
  Dims dims;
  if (dim) dims = std::vector<int64_t>{*dim};
  Plan p = plan_reduction(op, a, dims, keepdim);
  require_nonempty(op, a, p, !dim, /*index_error=*/true);
  Array values = with_values ? Array::empty(p.out_shape, a.dtype(), a.device()) : Array();
  Array indices = Array::empty(p.out_shape, DType::Int64, a.device());
  DC_DISPATCH(a, arg_reduce, is_max, with_values ? &values : nullptr, indices, a, p.reduced);
  return {values, indices};
}

}  // namespace

Array sum(const Array& a, const Dims& dims, bool keepdim) {
  DType t = is_floating(a.dtype()) ? a.dtype() : DType::Int64;
  return reduce_to("sum", ReduceOp::Sum, t, a, dims, keepdim);
}

Array mean(const Array& a, const Dims& dims, bool keepdim) {
  require_floating("mean", a);
  return reduce_to("mean", ReduceOp::Mean, a.dtype(), a, dims, keepdim);
}

Array var(const Array& a, const Dims& dims, double correction, bool keepdim) {
  require_floating("var", a);
  return reduce_to("var", ReduceOp::Var, a.dtype(), a, dims, keepdim, correction);
}

Array stddev(const Array& a, const Dims& dims, double correction, bool keepdim) {
  require_floating("std", a);
  return reduce_to("std", ReduceOp::Std, a.dtype(), a, dims, keepdim, correction);
}

Array amax(const Array& a, const Dims& dims, bool keepdim) {
  return reduce_to("amax", ReduceOp::Max, a.dtype(), a, dims, keepdim, 0.0, true);
}

Array amin(const Array& a, const Dims& dims, bool keepdim) {
  return reduce_to("amin", ReduceOp::Min, a.dtype(), a, dims, keepdim, 0.0, true);
}

Array all(const Array& a, const Dims& dims, bool keepdim) {
  return reduce_to("all", ReduceOp::All, DType::Bool, a, dims, keepdim);
}

Array any(const Array& a, const Dims& dims, bool keepdim) {
  return reduce_to("any", ReduceOp::Any, DType::Bool, a, dims, keepdim);
}
Array argmax(const Array& a, std::optional<int64_t> dim, bool keepdim) {
  require_not_bool("argmax", a);
  return arg_reduce("argmax", true, false, a, dim, keepdim).second;
}

Array argmin(const Array& a, std::optional<int64_t> dim, bool keepdim) {
  require_not_bool("argmin", a);
  return arg_reduce("argmin", false, false, a, dim, keepdim).second;
}

std::pair<Array, Array> max_dim(const Array& a, int64_t dim, bool keepdim) {
  return arg_reduce("max", true, true, a, dim, keepdim);
}

std::pair<Array, Array> min_dim(const Array& a, int64_t dim, bool keepdim) {
  return arg_reduce("min", false, true, a, dim, keepdim);
}

}  // namespace dc
