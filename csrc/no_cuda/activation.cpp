// The activation kernels of cuda/activation.h in a build without CUDA:
// unreachable (no GPU array can exist), but they must link.
#include "cuda/activation.h"
#include "core/errors.h"

namespace dc::cuda {

void leaky_relu(const Array&, const Array&, double) {
  fail("leaky_relu: deepcore was built without CUDA");
}
void elu(const Array&, const Array&, double) { fail("elu: deepcore was built without CUDA"); }
void activation_backward(ActGrad, const Array&, const Array&, const Array&, double) {
  fail("activation_backward: deepcore was built without CUDA");
}
void softmax(const Array&, const Array&, int64_t, int64_t, int64_t, bool) {
  fail("softmax: deepcore was built without CUDA");
}
void softmax_backward(const Array&, const Array&, const Array&, int64_t, int64_t, int64_t, bool) {
  fail("softmax_backward: deepcore was built without CUDA");
}
void dropout(const Array&, const Array&, uint64_t, double, uint64_t, uint64_t) {
  fail("dropout: deepcore was built without CUDA");
}

}  // namespace dc::cuda
