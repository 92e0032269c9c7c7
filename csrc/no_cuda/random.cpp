// cuda/random.h for a build without CUDA: unreachable (no GPU array can
// exist), but the dispatch in csrc/ops/creation.cpp links against it.
#include "core/errors.h"
#include "cuda/random.h"

namespace dc::cuda {

void uniform(const Array&, uint64_t, uint64_t) { fail("rand: deepcore was built without CUDA"); }
void normal(const Array&, uint64_t, uint64_t) { fail("randn: deepcore was built without CUDA"); }
void randint(const Array&, int64_t, int64_t, uint64_t, uint64_t) {
  fail("randint: deepcore was built without CUDA");
}

}  // namespace dc::cuda
