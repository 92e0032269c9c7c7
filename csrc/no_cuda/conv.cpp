// conv2d's CUDA kernels in a build without CUDA (see no_cuda.cpp): they
// raise, though no GPU array can exist to reach them.
#include "core/errors.h"
#include "cuda/conv.h"

namespace dc::cuda {

void conv2d_forward(const ConvGeometry&, const Array&, const Array&, const Array&, const Array&) {
  fail("conv2d: deepcore was built without CUDA");
}

void conv2d_backward(const ConvGeometry&, const Array&, const Array&, const Array&, const Array&,
                     const Array&, const Array&) {
  fail("conv2d: deepcore was built without CUDA");
}

}  // namespace dc::cuda
