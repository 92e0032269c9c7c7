// cuda/norm.h for a build without CUDA: unreachable (no GPU array can
// exist), but the dispatch in csrc/ops/norm.cpp must link.
#include "cuda/norm.h"
#include "core/errors.h"

namespace dc::cuda {

namespace {
[[noreturn]] void no_cuda(const char* op) { fail(op, ": deepcore was built without CUDA"); }
}  // namespace

void batch_norm_stats(const Array&, int64_t, int64_t, int64_t, const Array&, const Array&) {
  no_cuda("batch_norm");
}
void batch_norm_forward_channels(const BatchNormForwardChannels&) { no_cuda("batch_norm"); }
void batch_norm_apply(const Array&, const Array&, int64_t, int64_t, int64_t, const Array&,
                      const Array&, const Array&) {
  no_cuda("batch_norm");
}
void batch_norm_grad_sums(const Array&, const Array&, int64_t, int64_t, int64_t, const Array&,
                          const Array&, const Array&) {
  no_cuda("batch_norm_backward");
}
void batch_norm_backward_channels(const BatchNormBackwardChannels&) {
  no_cuda("batch_norm_backward");
}
void batch_norm_grad_input(const Array&, const Array&, const Array&, int64_t, int64_t, int64_t,
                           const Array&, const Array&, const Array&, const Array&) {
  no_cuda("batch_norm_backward");
}

}  // namespace dc::cuda
