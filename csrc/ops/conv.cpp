// Checks and dispatch for conv2d (see conv.h); the kernels are in cpu/conv.cpp
// and cuda/conv.cu.
#include "ops/conv.h"
#include "cuda/conv.h"
#include "cpu/conv.h"
#include "ops/checks.h"
#include "ops/elementwise.h"

namespace dc {

namespace {

constexpr const char* kOp = "conv2d";

// An (h, w) pair from one value or two.
std::pair<int64_t, int64_t> pair_arg(const char* name, const std::vector<int64_t>& v) {
  if (v.size() == 1) return {v[0], v[0]};
  if (v.size() == 2) return {v[0], v[1]};
  fail<ValueError>(kOp, ": ", name, " must be an int or a pair of ints, got ", shape_str(v));
}

// The geometry of conv2d(input, weight), with every check on shapes, values
// and dtypes; input is 4-D here (unbatched input is viewed as a batch of 1
// by the callers, which pass the user's shape in `shown` for messages).
ConvGeometry geometry(const Array& input, const Shape& shown, const Array& weight,
                           const std::vector<int64_t>& stride,
                           const std::vector<int64_t>& padding,
                           const std::vector<int64_t>& dilation) {
  const auto [sh, sw] = pair_arg("stride", stride);
  const auto [ph, pw] = pair_arg("padding", padding);
  const auto [dh, dw] = pair_arg("dilation", dilation);
  if (sh <= 0 || sw <= 0)
    fail<ValueError>(kOp, ": stride must be positive, got (", sh, ", ", sw, ")");
  if (ph < 0 || pw < 0)
    fail<ValueError>(kOp, ": padding must be non-negative, got (", ph, ", ", pw, ")");
  if (dh <= 0 || dw <= 0)
    fail<ValueError>(kOp, ": dilation must be positive, got (", dh, ", ", dw, ")");
  // Bounds that keep the size arithmetic below far from overflow.
  constexpr int64_t kMax = int64_t(1) << 40;
  if (ph > kMax || pw > kMax || dh > kMax || dw > kMax)
    fail<ValueError>(kOp, ": padding (", ph, ", ", pw, ") or dilation (", dh, ", ", dw,
                     ") too large");
  const Shape& ws = weight.shape();
  if (weight.ndim() != 4)
    fail<ShapeError>(kOp, ": expected 4-D weight (out_channels, in_channels, kH, kW), got weight "
                     "of shape ", shape_str(ws));
  if (ws[0] == 0) fail<ShapeError>(kOp, ": weight ", shape_str(ws), " has no output channels");
  if (ws[2] == 0 || ws[3] == 0)
    fail<ShapeError>(kOp, ": weight ", shape_str(ws), " has an empty kernel");
  const Shape& xs = input.shape();
  if (xs[1] != ws[1])
    fail<ShapeError>(kOp, ": expected input with ", ws[1], " channels (weight ", shape_str(ws),
                     "), got ", xs[1], " channels (input ", shape_str(shown), ")");
  ConvGeometry g{xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3],
                      sh, sw, ph, pw, dh, dw, 0, 0};
  // Kernel extents count the dilation.
  const int64_t eh = dh * (g.kh - 1) + 1, ew = dw * (g.kw - 1) + 1;
  const int64_t hp = g.h + 2 * ph, wp = g.w + 2 * pw;
  if (eh > hp || ew > wp)
    fail<ShapeError>(kOp, ": kernel size (", eh, ", ", ew, ")",
                     dh != 1 || dw != 1 ? " (dilated)" : "",
                     " is larger than the padded input size (", hp, ", ", wp, ") (input ",
                     shape_str(shown), ", padding (", ph, ", ", pw, "))");
  g.oh = (hp - eh) / sh + 1;
  g.ow = (wp - ew) / sw + 1;
  return g;
}

void check_input(const Array& input, const Array& weight) {
  check_same_device(kOp, input, weight);
  require_floating(kOp, input);
  if (weight.dtype() != input.dtype())
    fail<TypeError>(kOp, ": input (", dtype_name(input.dtype()), ") and weight (",
                    dtype_name(weight.dtype()), ") must have the same dtype");
  if (input.ndim() != 3 && input.ndim() != 4)
    fail<ShapeError>(kOp, ": expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got input of "
                     "shape ", shape_str(input.shape()));
}

// A (C, H, W) array as (1, C, H, W); 4-D arrays unchanged.
Array batched(const Array& a) {
  if (a.ndim() == 4) return a;
  Shape shape{1}, strides{0};
  shape.insert(shape.end(), a.shape().begin(), a.shape().end());
  strides.insert(strides.end(), a.strides().begin(), a.strides().end());
  return a.as_strided(shape, strides, a.offset());
}

// The (N, Co, OH, OW) output shape, without N for unbatched input.
Shape output_shape(const ConvGeometry& g, bool unbatched) {
  if (unbatched) return {g.co, g.oh, g.ow};
  return {g.n, g.co, g.oh, g.ow};
}

// Drops the leading size-1 dim of a contiguous (1, ...) array.
Array unbatch(const Array& a) {
  Shape shape(a.shape().begin() + 1, a.shape().end());
  return a.as_strided(shape, contiguous_strides(shape), a.offset());
}

}  // namespace

Array conv2d(const Array& input, const Array& weight, const std::optional<Array>& bias,
             const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
             const std::vector<int64_t>& dilation, bool relu) {
  check_input(input, weight);
  const bool unbatched = input.ndim() == 3;
  const ConvGeometry g =
      geometry(batched(input), input.shape(), weight, stride, padding, dilation);
  if (bias) {
    check_same_device(kOp, input, *bias);
    if (bias->dtype() != input.dtype())
      fail<TypeError>(kOp, ": input (", dtype_name(input.dtype()), ") and bias (",
                      dtype_name(bias->dtype()), ") must have the same dtype");
    if (bias->ndim() != 1 || bias->shape()[0] != g.co)
      fail<ShapeError>(kOp, ": expected bias of shape (", g.co, ",) for weight ",
                       shape_str(weight.shape()), ", got bias of shape ",
                       shape_str(bias->shape()));
  }
  const Shape shape = output_shape(g, false);
  check_shape(kOp, shape);
  Array out = Array::empty(shape, input.dtype(), input.device());
  DC_DISPATCH(input, conv2d_forward, g, contiguous(batched(input)), contiguous(weight),
              bias ? contiguous(*bias) : Array(), out, relu);
  return unbatched ? unbatch(out) : out;
}

Conv2dGrads conv2d_backward(const Array& grad_out, const Array& input, const Array& weight,
                            const std::vector<int64_t>& stride,
                            const std::vector<int64_t>& padding,
                            const std::vector<int64_t>& dilation, bool input_grad,
                            bool weight_grad, bool bias_grad,
                            const std::optional<Array>& relu_output) {
  check_input(input, weight);
  check_same_device(kOp, input, grad_out);
  const bool unbatched = input.ndim() == 3;
  const ConvGeometry g =
      geometry(batched(input), input.shape(), weight, stride, padding, dilation);
  const DType dt = input.dtype();
  if (grad_out.dtype() != dt)
    fail<TypeError>(kOp, ": grad_output (", dtype_name(grad_out.dtype()), ") and input (",
                    dtype_name(input.dtype()), ") must have the same dtype");
  const Shape expected = output_shape(g, unbatched);
  if (grad_out.shape() != expected)
    fail<ShapeError>(kOp, ": expected grad_output of shape ", shape_str(expected),
                     " (the output's), got ", shape_str(grad_out.shape()));
  if (relu_output) {
    check_same_device(kOp, grad_out, *relu_output);
    if (relu_output->dtype() != dt)
      fail<TypeError>(kOp, ": relu_output (", dtype_name(relu_output->dtype()), ") and input (",
                      dtype_name(dt), ") must have the same dtype");
    if (relu_output->shape() != expected)
      fail<ShapeError>(kOp, ": expected relu_output of shape ", shape_str(expected),
                       " (the output's), got ", shape_str(relu_output->shape()));
  }

  Array gx, gw, gb;
  if (input_grad) gx = Array::empty(batched(input).shape(), dt, input.device());
  if (weight_grad) gw = Array::empty(weight.shape(), dt, input.device());
  if (bias_grad) gb = Array::empty({g.co}, dt, input.device());
  // The input is only read for the weight gradient.
  const Array x = weight_grad ? contiguous(batched(input)) : Array();
  DC_DISPATCH(input, conv2d_backward, g, contiguous(batched(grad_out)), x, contiguous(weight),
              gx, gw, gb, relu_output ? contiguous(batched(*relu_output)) : Array());

  Conv2dGrads grads;
  if (input_grad) std::get<0>(grads) = unbatched ? unbatch(gx) : gx;
  if (weight_grad) std::get<1>(grads) = gw;
  if (bias_grad) std::get<2>(grads) = gb;
  return grads;
}

}  // namespace dc
