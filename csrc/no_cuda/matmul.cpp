// cuda/matmul.h for a build without CUDA: unreachable (no GPU array can
// exist), but the dispatch in ops/linalg.cpp links against these.
#include "cuda/matmul.h"
#include "core/errors.h"

namespace dc::cuda {

void matmul(const Array&, const Array&, const Array&) {
  fail("matmul: deepcore was built without CUDA");
}
void linear(const Array&, const Array&, const Array&, const Array&) {
  fail("linear: deepcore was built without CUDA");
}
void gemm_inplace(const Array&, const Array&, const Array&, double, double) {
  fail("gemm_: deepcore was built without CUDA");
}

}  // namespace dc::cuda
