// Pooling's CUDA kernels in a build without CUDA (see no_cuda.cpp): they
// raise, though no GPU array can exist to reach them.
#include "core/errors.h"
#include "cuda/pool.h"

namespace dc::cuda {

void max_pool2d_forward(const PoolGeometry&, const Array&, const Array&, const Array&) {
  fail("max_pool2d: deepcore was built without CUDA");
}

void max_pool2d_backward(const PoolGeometry&, const Array&, const Array&, const Array&) {
  fail("max_pool2d_backward: deepcore was built without CUDA");
}

void avg_pool2d_forward(const PoolGeometry&, const Array&, const Array&, bool, int64_t) {
  fail("avg_pool2d: deepcore was built without CUDA");
}

void avg_pool2d_backward(const PoolGeometry&, const Array&, const Array&, bool, int64_t) {
  fail("avg_pool2d_backward: deepcore was built without CUDA");
}

}  // namespace dc::cuda
