// 2-D convolution (NCHW, PyTorch's conv2d with groups = 1).
#pragma once
#include <optional>
#include <tuple>
#include <vector>
#include "core/array.h"

namespace dc {

// The sizes of one convolution, validated by ops/conv.cpp: input (n, c, h, w),
// weight (co, c, kh, kw), output (n, co, oh, ow) with
// oh = (h + 2 ph - dh (kh - 1) - 1) / sh + 1 (and likewise ow), all >= 1
// except n and c, which may be 0.
struct ConvGeometry {
  int64_t n, c, h, w;
  int64_t co, kh, kw;
  int64_t sh, sw, ph, pw, dh, dw;
  int64_t oh, ow;
};

// out[n, o, y, x] = bias[o] + sum_{c, i, j} input[n, c, y*sh - ph + i*dh,
// x*sw - pw + j*dw] * weight[o, c, i, j], zero outside the input. input is
// (N, C, H, W) or unbatched (C, H, W) (the output then has no batch dim);
// weight (Co, C, KH, KW); bias (Co,) or none. stride, padding and dilation
// are (h, w) pairs or one value for both; stride and dilation >= 1, padding
// >= 0. float32/float64, one dtype for all. With relu, the result is
// relu(conv2d(...)) computed in one pass (what nn.Sequential runs for a
// Conv2d followed by a ReLU).
Array conv2d(const Array& input, const Array& weight, const std::optional<Array>& bias,
             const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
             const std::vector<int64_t>& dilation, bool relu = false);

using Conv2dGrads = std::tuple<std::optional<Array>, std::optional<Array>, std::optional<Array>>;

// The gradients (input, weight, bias) of conv2d for grad_out, shaped like
// conv2d's output; each only when asked for (none otherwise). The bias
// gradient needs no bias: it is the sum of grad_out over all but dim 1.
// relu_output, the output of conv2d with relu (shaped like grad_out), makes
// these the gradients of that fused op: grad_out goes through the relu's
// backward first.
Conv2dGrads conv2d_backward(const Array& grad_out, const Array& input, const Array& weight,
                            const std::vector<int64_t>& stride,
                            const std::vector<int64_t>& padding,
                            const std::vector<int64_t>& dilation, bool input_grad,
                            bool weight_grad, bool bias_grad,
                            const std::optional<Array>& relu_output = std::nullopt);

}  // namespace dc
