// cuda/optim.h for a build without CUDA: unreachable (no GPU array can
// exist), but the dispatch in csrc/ops/optim.cpp must link.
#include "cuda/optim.h"
#include "core/errors.h"

namespace dc::cuda {

namespace {
[[noreturn]] void no_cuda(const char* op) { fail(op, ": deepcore was built without CUDA"); }
}  // namespace

void adam_step(const std::vector<Array>&, const std::vector<Array>&, const std::vector<Array>&,
               const std::vector<Array>&, const std::vector<Array>&, const std::vector<int64_t>&,
               const AdamOptions&) {
  no_cuda("adam_step");
}
void adam_step_reference(const std::vector<Array>&, const std::vector<Array>&,
                         const std::vector<Array>&, const std::vector<Array>&,
                         const std::vector<Array>&, const std::vector<int64_t>&,
                         const AdamOptions&) {
  no_cuda("adam_step");
}
void axpby_(const Array&, double, const Array&, double) { no_cuda("optim_axpby_"); }
void addcmul_(const Array&, double, const Array&, const Array&, double) {
  no_cuda("optim_addcmul_");
}
void addcdiv_(const Array&, double, const Array&, const Array&, double) {
  no_cuda("optim_addcdiv_");
}

}  // namespace dc::cuda
