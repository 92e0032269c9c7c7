// CUDA kernels for csrc/ops/conv.h: 2-D convolution as im2col + our GEMM
// (cuda/gemm.h). Same signatures and contracts as csrc/cpu/conv.h, whose
// ConvGeometry both share (a plain struct, no CPU code).
#pragma once
#include "core/array.h"
#include "ops/conv.h"

namespace dc::cuda {


// out = conv2d(x, w) + bias. x, w, out contiguous on one GPU, one floating
// dtype; bias (co,) contiguous or undefined.
void conv2d_forward(const ConvGeometry& g, const Array& x, const Array& w, const Array& bias,
                    const Array& out);

// gx, gw, gb (each only when defined) for the output gradient gout; x is
// only read for gw. All contiguous on one GPU, overwritten.
void conv2d_backward(const ConvGeometry& g, const Array& gout, const Array& x, const Array& w,
                     const Array& gx, const Array& gw, const Array& gb);

}  // namespace dc::cuda
