// Reductions in a build without CUDA: unreachable (no GPU array exists), but
// the dispatch in ops/reduce.cpp must link.
#include "core/errors.h"
#include "cuda/reduce.h"

namespace dc::cuda {

void reduce(ReduceOp, const Array&, const Array&, const std::vector<bool>&, double) {
  fail("reduce: deepcore was built without CUDA");
}

void arg_reduce(bool, const Array*, const Array&, const Array&, const std::vector<bool>&) {
  fail("arg_reduce: deepcore was built without CUDA");
}

}  // namespace dc::cuda
