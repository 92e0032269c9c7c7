// 2-D pooling (NCHW or unbatched CHW), PyTorch's max_pool2d and avg_pool2d.
#pragma once
#include <optional>
#include <tuple>
#include <vector>
#include "core/array.h"

namespace dc {

// One pooling, validated by ops/pool.cpp: `planes` = N*C independent planes
// of h x w pooled to oh x ow; window (oh, ow) covers rows oh*sh - ph + i*dh
// (i < kh) and columns likewise, clipped to the plane. Average pooling has
// dh = dw = 1.
struct PoolGeometry {
  int64_t planes, h, w;
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
  int64_t oh, ow;
};

// kernel_size, stride, padding, dilation are (h, w) pairs or one value for
// both; an empty stride means stride = kernel_size. Output sizes follow
// PyTorch (ceil_mode rounds up, but a window may not start in the bottom or
// right padding); padding may be at most half the (dilated) kernel.
// float32/float64 input.

// (out, indices): the window maxima and their flat positions ih*W + iw in the
// input plane (int64), for backward.
std::tuple<Array, Array> max_pool2d(const Array& input, const std::vector<int64_t>& kernel_size,
                                    const std::vector<int64_t>& stride,
                                    const std::vector<int64_t>& padding,
                                    const std::vector<int64_t>& dilation, bool ceil_mode);
// The input gradient (of shape input_shape) of max_pool2d.
Array max_pool2d_backward(const Array& grad_out, const Array& indices, const Shape& input_shape,
                          const std::vector<int64_t>& kernel_size,
                          const std::vector<int64_t>& stride,
                          const std::vector<int64_t>& padding,
                          const std::vector<int64_t>& dilation, bool ceil_mode);

// Window means: divided by divisor_override when given (non-zero), else by the
// window's size clipped to the padded input (count_include_pad) or to the
// input itself.
Array avg_pool2d(const Array& input, const std::vector<int64_t>& kernel_size,
                 const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                 bool ceil_mode, bool count_include_pad, std::optional<int64_t> divisor_override);
Array avg_pool2d_backward(const Array& grad_out, const Shape& input_shape,
                          const std::vector<int64_t>& kernel_size,
                          const std::vector<int64_t>& stride,
                          const std::vector<int64_t>& padding, bool ceil_mode,
                          bool count_include_pad, std::optional<int64_t> divisor_override);

}  // namespace dc
