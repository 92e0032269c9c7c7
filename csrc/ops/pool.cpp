// Checks and dispatch for pooling (see pool.h); the kernels are in cpu/pool.cpp
// and cuda/pool.cu.
#include "ops/pool.h"
#include "cuda/pool.h"
#include "cpu/pool.h"
#include "ops/checks.h"
#include "ops/elementwise.h"

namespace dc {

namespace {

std::pair<int64_t, int64_t> pair_arg(const char* op, const char* name,
                                     const std::vector<int64_t>& v) {
  if (v.size() == 1) return {v[0], v[0]};
  if (v.size() == 2) return {v[0], v[1]};
  fail<ValueError>(op, ": ", name, " must be an int or a pair of ints, got ", shape_str(v));
}

std::string pair_str(int64_t a, int64_t b) { return str("(", a, ", ", b, ")"); }

// PyTorch's pooling_output_shape: floor (or ceil) of (n + 2p - extent) / s,
// plus 1, less the last window if ceil_mode made it start in the far padding.
int64_t pooled_size(int64_t n, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  const int64_t num = n + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
  const int64_t q = num >= 0 ? num / s : -((-num + s - 1) / s);  // floor division
  int64_t out = q + 1;
  if (ceil_mode && (out - 1) * s >= n + p) --out;
  return out;
}

// Validates a pooling of an input of `shape` and returns its geometry.
PoolGeometry pool_geometry(const char* op, const Shape& shape,
                                const std::vector<int64_t>& kernel_size,
                                const std::vector<int64_t>& stride,
                                const std::vector<int64_t>& padding,
                                const std::vector<int64_t>& dilation, bool ceil_mode) {
  const int64_t nd = static_cast<int64_t>(shape.size());
  if (nd != 3 && nd != 4)
    fail<ShapeError>(op, ": expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got input of "
                     "shape ", shape_str(shape));
  for (int64_t d = nd - 3; d < nd; ++d)
    if (shape[d] == 0)
      fail<ShapeError>(op, ": expected an input with non-zero channels, height and width "
                       "(only the batch may be empty), got input of shape ", shape_str(shape));
  const auto [kh, kw] = pair_arg(op, "kernel_size", kernel_size);
  const auto [sh, sw] = stride.empty() ? std::pair{kh, kw} : pair_arg(op, "stride", stride);
  const auto [ph, pw] = pair_arg(op, "padding", padding);
  const auto [dh, dw] = pair_arg(op, "dilation", dilation);
  if (kh <= 0 || kw <= 0)
    fail<ValueError>(op, ": kernel_size must be positive, got ", pair_str(kh, kw));
  if (sh <= 0 || sw <= 0) fail<ValueError>(op, ": stride must be positive, got ", pair_str(sh, sw));
  if (ph < 0 || pw < 0)
    fail<ValueError>(op, ": padding must be non-negative, got ", pair_str(ph, pw));
  if (dh <= 0 || dw <= 0)
    fail<ValueError>(op, ": dilation must be positive, got ", pair_str(dh, dw));
  // Bounds that keep the size arithmetic far from overflow.
  constexpr int64_t kMax = int64_t(1) << 30;
  if (kh > kMax || kw > kMax || sh > kMax || sw > kMax || dh > kMax || dw > kMax)
    fail<ValueError>(op, ": kernel_size ", pair_str(kh, kw), ", stride ", pair_str(sh, sw),
                     " or dilation ", pair_str(dh, dw), " too large");
  const int64_t eh = dh * (kh - 1) + 1, ew = dw * (kw - 1) + 1;
  if (ph > eh / 2 || pw > ew / 2)
    fail<ValueError>(op, ": padding ", pair_str(ph, pw),
                     " must be at most half of the kernel size ", pair_str(eh, ew),
                     dh != 1 || dw != 1 ? " (dilated)" : "");
  const int64_t h = shape[nd - 2], w = shape[nd - 1];
  const int64_t oh = pooled_size(h, kh, sh, ph, dh, ceil_mode);
  const int64_t ow = pooled_size(w, kw, sw, pw, dw, ceil_mode);
  if (oh <= 0 || ow <= 0)
    fail<ShapeError>(op, ": output size ", pair_str(oh, ow), " is too small for input of shape ",
                     shape_str(shape), " (kernel_size ", pair_str(kh, kw), ", stride ",
                     pair_str(sh, sw), ", padding ", pair_str(ph, pw), ")");
  const int64_t planes = nd == 4 ? shape[0] * shape[1] : shape[0];
  return {planes, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow};
}

Shape pooled_shape(const Shape& input_shape, const PoolGeometry& g) {
  Shape s(input_shape.begin(), input_shape.end() - 2);
  s.push_back(g.oh);
  s.push_back(g.ow);
  return s;
}

void check_grad(const char* op, const Array& grad_out, const Shape& expected) {
  require_floating(op, grad_out);
  if (grad_out.shape() != expected)
    fail<ShapeError>(op, ": expected grad_output of shape ", shape_str(expected),
                     " (the output's), got ", shape_str(grad_out.shape()));
}

const std::vector<int64_t> kNoDilation{1};

}  // namespace

std::tuple<Array, Array> max_pool2d(const Array& input, const std::vector<int64_t>& kernel_size,
                                    const std::vector<int64_t>& stride,
                                    const std::vector<int64_t>& padding,
                                    const std::vector<int64_t>& dilation, bool ceil_mode) {
  const char* op = "max_pool2d";
  require_floating(op, input);
  const PoolGeometry g =
      pool_geometry(op, input.shape(), kernel_size, stride, padding, dilation, ceil_mode);
  const Shape shape = pooled_shape(input.shape(), g);
  Array out = Array::empty(shape, input.dtype(), input.device());
  Array indices = Array::empty(shape, DType::Int64, input.device());
  DC_DISPATCH(input, max_pool2d_forward, g, contiguous(input), out, indices);
  return {out, indices};
}

Array max_pool2d_backward(const Array& grad_out, const Array& indices, const Shape& input_shape,
                          const std::vector<int64_t>& kernel_size,
                          const std::vector<int64_t>& stride,
                          const std::vector<int64_t>& padding,
                          const std::vector<int64_t>& dilation, bool ceil_mode) {
  const char* op = "max_pool2d_backward";
  check_shape(op, input_shape);
  const PoolGeometry g =
      pool_geometry(op, input_shape, kernel_size, stride, padding, dilation, ceil_mode);
  check_grad(op, grad_out, pooled_shape(input_shape, g));
  check_same_device(op, grad_out, indices);
  if (indices.dtype() != DType::Int64 || indices.shape() != grad_out.shape())
    fail<TypeError>(op, ": expected int64 indices of shape ", shape_str(grad_out.shape()),
                    ", got ", dtype_name(indices.dtype()), " of shape ",
                    shape_str(indices.shape()));
  Array gx = Array::empty(input_shape, grad_out.dtype(), grad_out.device());
  DC_DISPATCH(grad_out, max_pool2d_backward, g, contiguous(grad_out), contiguous(indices), gx);
  return gx;
}

Array avg_pool2d(const Array& input, const std::vector<int64_t>& kernel_size,
                 const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                 bool ceil_mode, bool count_include_pad,
                 std::optional<int64_t> divisor_override) {
  const char* op = "avg_pool2d";
  require_floating(op, input);
  const PoolGeometry g =
      pool_geometry(op, input.shape(), kernel_size, stride, padding, kNoDilation, ceil_mode);
  if (divisor_override && *divisor_override == 0)
    fail<ValueError>(op, ": divisor_override must be non-zero");
  Array out = Array::empty(pooled_shape(input.shape(), g), input.dtype(), input.device());
  DC_DISPATCH(input, avg_pool2d_forward, g, contiguous(input), out, count_include_pad,
              divisor_override.value_or(0));
  return out;
}

Array avg_pool2d_backward(const Array& grad_out, const Shape& input_shape,
                          const std::vector<int64_t>& kernel_size,
                          const std::vector<int64_t>& stride,
                          const std::vector<int64_t>& padding, bool ceil_mode,
                          bool count_include_pad, std::optional<int64_t> divisor_override) {
  const char* op = "avg_pool2d_backward";
  check_shape(op, input_shape);
  const PoolGeometry g =
      pool_geometry(op, input_shape, kernel_size, stride, padding, kNoDilation, ceil_mode);
  check_grad(op, grad_out, pooled_shape(input_shape, g));
  if (divisor_override && *divisor_override == 0)
    fail<ValueError>(op, ": divisor_override must be non-zero");
  Array gx = Array::empty(input_shape, grad_out.dtype(), grad_out.device());
  DC_DISPATCH(grad_out, avg_pool2d_backward, g, contiguous(grad_out), gx, count_include_pad,
              divisor_override.value_or(0));
  return gx;
}

}  // namespace dc
