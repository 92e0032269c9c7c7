// Checks and dispatch for batch normalisation (see norm.h).
#include "ops/norm.h"
#include "cuda/norm.h"
#include "cpu/norm.h"
#include "ops/checks.h"
#include "ops/elementwise.h"

namespace dc {

namespace {

struct Layout {
  int64_t N = 0, C = 0, L = 1;
};

Layout layout_of(const char* op, const Array& x) {
  require_floating(op, x);
  if (x.ndim() < 2)
    fail<ShapeError>(op, ": expected input of shape (N, C) or (N, C, d1, ...), got ",
                     shape_str(x.shape()));
  Layout s;
  s.N = x.shape()[0];
  s.C = x.shape()[1];
  for (int64_t d = 2; d < x.ndim(); ++d) s.L *= x.shape()[d];
  return s;
}

// A per-channel (C,) vector of x's dtype.
void check_channel_vector(const char* op, const Array& x, const std::optional<Array>& v,
                          const char* name, int64_t C) {
  if (!v) return;
  check_same_device(op, x, *v);
  if (v->dtype() != x.dtype())
    fail<TypeError>(op, ": ", name, " has dtype ", dtype_name(v->dtype()), " but the input has dtype ",
                    dtype_name(x.dtype()));
  if (v->ndim() != 1 || v->shape()[0] != C)
    fail<ShapeError>(op, ": ", name, " should contain ", C, " elements (one per channel of input ",
                     "shape ", shape_str(x.shape()), "), got shape ", shape_str(v->shape()));
}

// A float64 (C,) workspace on x's device.
Array channel_f64(const Array& x, int64_t C) { return Array::empty({C}, DType::Float64, x.device()); }

}  // namespace

std::tuple<Array, Array, Array> batch_norm(const Array& x, const std::optional<Array>& running_mean,
                                           const std::optional<Array>& running_var,
                                           const std::optional<Array>& weight,
                                           const std::optional<Array>& bias, bool training,
                                           double momentum, double eps) {
  const char* op = "batch_norm";
  Layout s = layout_of(op, x);
  check_channel_vector(op, x, running_mean, "running_mean", s.C);
  check_channel_vector(op, x, running_var, "running_var", s.C);
  check_channel_vector(op, x, weight, "weight", s.C);
  check_channel_vector(op, x, bias, "bias", s.C);
  if (running_mean.has_value() != running_var.has_value())
    fail<ValueError>(op, ": running_mean and running_var must be given together");
  if (!training && !running_mean)
    fail<RuntimeError>(op, ": running_mean and running_var must be given in evaluation mode "
                           "(training=False)");
  const int64_t M = s.N * s.L;
  if (training && M == 1)
    fail<ValueError>(op, ": Expected more than 1 value per channel when training, got input size ",
                     shape_str(x.shape()));

  BatchNormForwardChannels k;
  k.running_mean = running_mean;
  k.running_var = running_var;
  k.weight = weight;
  k.bias = bias;
  k.training = training;
  k.momentum = momentum;
  k.eps = eps;
  k.M = M;
  const bool stats = training && M > 0 && s.C > 0;
  if (stats) {
    k.mean = channel_f64(x, s.C);
    k.var = channel_f64(x, s.C);
  }
  k.mean_out = Array::empty({s.C}, x.dtype(), x.device());
  k.invstd_out = Array::empty({s.C}, x.dtype(), x.device());
  k.scale = channel_f64(x, s.C);
  k.shift = channel_f64(x, s.C);
  Array xc = contiguous(x);
  if (stats) DC_DISPATCH(x, batch_norm_stats, xc, s.N, s.C, s.L, k.mean, k.var);
  if (s.C > 0) DC_DISPATCH(x, batch_norm_forward_channels, k);
  if (stats && running_mean) {
    running_mean->storage()->bump_version();
    running_var->storage()->bump_version();
  }
  Array y = Array::empty(x.shape(), x.dtype(), x.device());
  if (y.numel() > 0)
    DC_DISPATCH(x, batch_norm_apply, y, xc, s.N, s.C, s.L, k.mean_out, k.scale, k.shift);
  return {y, k.mean_out, k.invstd_out};
}

std::tuple<std::optional<Array>, std::optional<Array>, std::optional<Array>> batch_norm_backward(
    const Array& grad, const Array& x, const std::optional<Array>& weight, const Array& mean,
    const Array& invstd, bool training, bool need_input, bool need_weight, bool need_bias) {
  const char* op = "batch_norm_backward";
  Layout s = layout_of(op, x);
  check_same_device(op, grad, x);
  if (grad.dtype() != x.dtype())
    fail<TypeError>(op, ": grad has dtype ", dtype_name(grad.dtype()), " but the input has dtype ",
                    dtype_name(x.dtype()));
  if (grad.shape() != x.shape())
    fail<ShapeError>(op, ": grad of shape ", shape_str(grad.shape()),
                     " does not match the input of shape ", shape_str(x.shape()));
  check_channel_vector(op, x, weight, "weight", s.C);
  check_channel_vector(op, x, std::optional<Array>(mean), "mean", s.C);
  check_channel_vector(op, x, std::optional<Array>(invstd), "invstd", s.C);

  BatchNormBackwardChannels k;
  k.invstd = invstd;
  k.weight = weight;
  k.training = training;
  k.need_input = need_input;
  const int64_t M = s.N * s.L;
  k.M = M;
  Array gc = contiguous(grad), xc = contiguous(x);
  k.have_sums = M > 0 && s.C > 0 && (need_weight || need_bias || (need_input && training));
  if (k.have_sums) {
    k.sum_g = channel_f64(x, s.C);
    k.sum_gx = channel_f64(x, s.C);
    DC_DISPATCH(x, batch_norm_grad_sums, gc, xc, s.N, s.C, s.L, mean, k.sum_g, k.sum_gx);
  }
  if (need_input) {
    k.a = channel_f64(x, s.C);
    k.b = channel_f64(x, s.C);
    k.d = channel_f64(x, s.C);
  }
  if (need_weight) k.grad_weight = Array::empty({s.C}, x.dtype(), x.device());
  if (need_bias) k.grad_bias = Array::empty({s.C}, x.dtype(), x.device());
  if (s.C > 0 && (need_input || need_weight || need_bias))
    DC_DISPATCH(x, batch_norm_backward_channels, k);

  std::optional<Array> gx;
  if (need_input) {
    gx = Array::empty(x.shape(), x.dtype(), x.device());
    if (gx->numel() > 0)
      DC_DISPATCH(x, batch_norm_grad_input, *gx, gc, xc, s.N, s.C, s.L, mean, k.a, k.b, k.d);
  }
  return {gx, k.grad_weight, k.grad_bias};
}

}  // namespace dc
