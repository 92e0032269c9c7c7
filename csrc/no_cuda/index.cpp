// Indexing in a build without CUDA: unreachable (no GPU array exists), but
// the dispatch in ops/index.cpp must link.
#include "core/errors.h"
#include "cuda/index.h"

namespace dc::cuda {

void index(const Array&, const Array&, const IndexPlan&) {
  fail("index: deepcore was built without CUDA");
}
void index_put(const Array&, const Array&, const IndexPlan&, bool) {
  fail("index_put_: deepcore was built without CUDA");
}
bool find_out_of_range(const Array&, int64_t, int64_t, int64_t*) {
  fail("find_out_of_range: deepcore was built without CUDA");
}
Array nonzero(const Array&) { fail("nonzero: deepcore was built without CUDA"); }
void gather(const Array&, const Array&, int64_t, const Array&) {
  fail("gather: deepcore was built without CUDA");
}
void scatter_add(const Array&, int64_t, const Array&, const Array&) {
  fail("scatter_add_: deepcore was built without CUDA");
}

}  // namespace dc::cuda
