// The loss kernels of cuda/loss.h in a build without CUDA: unreachable (no
// GPU array can exist), but they must link.
#include "cuda/loss.h"
#include "core/errors.h"

namespace dc::cuda {

void cross_entropy(const CrossEntropyProblem&, const Array&, const Array&, const Array&) {
  fail("cross_entropy: deepcore was built without CUDA");
}
void cross_entropy_backward(const CrossEntropyProblem&, const Array&, const Array&, double,
                            const Array&) {
  fail("cross_entropy_backward: deepcore was built without CUDA");
}
void nll_loss(const CrossEntropyProblem&, const Array&, const Array&) {
  fail("nll_loss: deepcore was built without CUDA");
}
void nll_loss_backward(const CrossEntropyProblem&, const Array&, double, const Array&) {
  fail("nll_loss_backward: deepcore was built without CUDA");
}
void multi_margin_loss(const CrossEntropyProblem&, int64_t, double, const Array&) {
  fail("multi_margin_loss: deepcore was built without CUDA");
}
void multi_margin_loss_backward(const CrossEntropyProblem&, int64_t, double, const Array&, double,
                                const Array&) {
  fail("multi_margin_loss_backward: deepcore was built without CUDA");
}
void reduce_loss_rows(const Array&, const Array&, const Array&, LossReduction) {
  fail("reduce_loss_rows: deepcore was built without CUDA");
}
void pointwise_loss(PointwiseLoss, const Array&, const Array&, const Array&, const Array&,
                    const Array&) {
  fail("pointwise_loss: deepcore was built without CUDA");
}
void pointwise_loss_backward(PointwiseLoss, bool, const Array&, const Array&, const Array&,
                             const Array&, const Array&, const Array&, double) {
  fail("pointwise_loss_backward: deepcore was built without CUDA");
}
int64_t first_non_probability(const Array&) {
  fail("binary_cross_entropy: deepcore was built without CUDA");
}

}  // namespace dc::cuda
