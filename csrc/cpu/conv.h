// CPU kernels for csrc/ops/conv.h: 2-D convolution as im2col + GEMM.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>
#include "core/array.h"
#include "ops/conv.h"

namespace dc::cpu {

// out = conv2d(x, w) + bias. x, w, out are contiguous and of one floating
// dtype; bias is (co,) contiguous or undefined.
void conv2d_forward(const ConvGeometry& g, const Array& x, const Array& w, const Array& bias,
                    const Array& out);

// The gradients of conv2d for the output gradient gout (contiguous, shaped
// like out): gx (like x), gw (like w) and gb (co,), each computed only when
// defined; all contiguous and overwritten. x is only read for gw (it may be
// undefined without it).
void conv2d_backward(const ConvGeometry& g, const Array& gout, const Array& x, const Array& w,
                     const Array& gx, const Array& gw, const Array& gb);

// Bytes of im2col buffer each worker may use (tests lower it to force many
// tiles per sample); returns the previous value. Not thread-safe.
int64_t set_conv_col_budget(int64_t bytes);

// Benchmark hook: while enabled, convolutions add up the thread-time of each
// phase (im2col, the three GEMMs, col2im, bias). Returns (phase, seconds)
// accumulated since the previous call, resets them, then enables or disables.
std::vector<std::pair<std::string, double>> conv_profile(bool enable);

}  // namespace dc::cpu
