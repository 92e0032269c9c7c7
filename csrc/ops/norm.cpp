// Checks and dispatch for batch normalisation (see norm.h).
#include "ops/norm.h"
#include <cmath>
#include <vector>
#include "cpu/norm.h"
#include "ops/checks.h"
#include "ops/elementwise.h"

namespace dc {

namespace {

struct Layout {
  int64_t N = 0, C = 0, L = 1;
};

Layout layout_of(const char* op, const Array& x) {
  require_cpu(op, x);
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
  require_cpu(op, *v);
  if (v->dtype() != x.dtype())
    fail<TypeError>(op, ": ", name, " has dtype ", dtype_name(v->dtype()), " but the input has dtype ",
                    dtype_name(x.dtype()));
  if (v->ndim() != 1 || v->shape()[0] != C)
    fail<ShapeError>(op, ": ", name, " should contain ", C, " elements (one per channel of input ",
                     "shape ", shape_str(x.shape()), "), got shape ", shape_str(v->shape()));
}

// Element c of a 1-D array of any stride, as double.
std::vector<double> read_vector(const Array& v) {
  std::vector<double> out(static_cast<size_t>(v.numel()));
  visit_floating(v.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = v.data<T>();
    for (size_t c = 0; c < out.size(); ++c) out[c] = p[static_cast<int64_t>(c) * v.strides()[0]];
  });
  return out;
}

Array vector_array(const std::vector<double>& v, DType dtype) {
  Array out = Array::empty({static_cast<int64_t>(v.size())}, dtype);
  visit_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = out.data<T>();
    for (size_t c = 0; c < v.size(); ++c) p[c] = static_cast<T>(v[c]);
  });
  return out;
}

// The values a (C,) array of dtype T stores: v rounded to T.
void round_to(std::vector<double>& v, DType dtype) {
  visit_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    for (double& e : v) e = static_cast<double>(static_cast<T>(e));
  });
}

void update_running(const Array& running, const std::vector<double>& batch, double momentum) {
  running.storage()->bump_version();
  visit_floating(running.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = running.data<T>();
    const int64_t st = running.strides()[0];
    for (size_t c = 0; c < batch.size(); ++c) {
      T& r = p[static_cast<int64_t>(c) * st];
      r = static_cast<T>((1.0 - momentum) * static_cast<double>(r) + momentum * batch[c]);
    }
  });
}

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

  const size_t C = static_cast<size_t>(s.C);
  std::vector<double> mean(C, NAN), var(C, NAN), invstd(C);
  Array xc = contiguous(x);
  if (training) {
    if (M > 0) {
      cpu::batch_norm_stats(xc, s.N, s.C, s.L, mean.data(), var.data());
      if (running_mean) {
        std::vector<double> unbiased(var);
        for (double& v : unbiased) v *= static_cast<double>(M) / static_cast<double>(M - 1);
        update_running(*running_mean, mean, momentum);
        update_running(*running_var, unbiased, momentum);
      }
    }
  } else {
    mean = read_vector(*running_mean);
    var = read_vector(*running_var);
  }
  for (size_t c = 0; c < C; ++c) invstd[c] = 1.0 / std::sqrt(var[c] + eps);
  // The backward pass reads mean and invstd back from the returned arrays:
  // use the same rounded values here.
  round_to(mean, x.dtype());
  round_to(invstd, x.dtype());
  std::vector<double> scale(invstd), shift(C, 0.0);
  if (weight) {
    std::vector<double> w = read_vector(*weight);
    for (size_t c = 0; c < C; ++c) scale[c] *= w[c];
  }
  if (bias) shift = read_vector(*bias);
  Array y = Array::empty(x.shape(), x.dtype(), x.device());
  if (y.numel() > 0)
    cpu::batch_norm_apply(y, xc, s.N, s.C, s.L, mean.data(), scale.data(), shift.data());
  return {y, vector_array(mean, x.dtype()), vector_array(invstd, x.dtype())};
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

  const size_t C = static_cast<size_t>(s.C);
  const std::vector<double> m = read_vector(mean), is = read_vector(invstd);
  std::vector<double> w(C, 1.0);
  if (weight) w = read_vector(*weight);
  std::vector<double> sum_g(C, 0.0), sum_gx(C, 0.0);
  Array gc = contiguous(grad), xc = contiguous(x);
  const int64_t M = s.N * s.L;
  if (M > 0 && (need_weight || need_bias || (need_input && training)))
    cpu::batch_norm_grad_sums(gc, xc, s.N, s.C, s.L, m.data(), sum_g.data(), sum_gx.data());

  std::optional<Array> gx, gw, gb;
  if (need_input) {
    std::vector<double> a(C), b(C, 0.0), d(C, 0.0);
    for (size_t c = 0; c < C; ++c) {
      a[c] = w[c] * is[c];
      if (training) {
        b[c] = -a[c] * is[c] * is[c] * sum_gx[c] / static_cast<double>(M);
        d[c] = -a[c] * sum_g[c] / static_cast<double>(M);
      }
    }
    gx = Array::empty(x.shape(), x.dtype(), x.device());
    if (gx->numel() > 0)
      cpu::batch_norm_grad_input(*gx, gc, xc, s.N, s.C, s.L, m.data(), a.data(), b.data(), d.data());
  }
  if (need_weight) {
    std::vector<double> v(C);
    for (size_t c = 0; c < C; ++c) v[c] = sum_gx[c] * is[c];
    gw = vector_array(v, x.dtype());
  }
  if (need_bias) gb = vector_array(sum_g, x.dtype());
  return {gx, gw, gb};
}

}  // namespace dc
