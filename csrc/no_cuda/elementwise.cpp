// cuda/elementwise.h for a build without CUDA: unreachable (no GPU array can
// exist), but the dispatch in csrc/ops/elementwise.cpp links against it.
#include "core/errors.h"
#include "cuda/elementwise.h"

namespace dc::cuda {

namespace {
[[noreturn]] void no_cuda(const char* op) { fail(op, ": deepcore was built without CUDA"); }
}  // namespace

void binary(BinaryOp, const Array&, const Array&, const Array&) { no_cuda("binary"); }
void compare(CompareOp, const Array&, const Array&, const Array&) { no_cuda("compare"); }
void unary(UnaryOp, const Array&, const Array&) { no_cuda("unary"); }
void clamp(const Array&, const Array&, std::optional<double>, std::optional<double>) { no_cuda("clamp"); }
void where(const Array&, const Array&, const Array&, const Array&) { no_cuda("where"); }
void copy(const Array&, const Array&) { no_cuda("copy"); }
void fill(const Array&, double) { no_cuda("fill"); }
void arange(const Array&, double, double) { no_cuda("arange"); }

}  // namespace dc::cuda
