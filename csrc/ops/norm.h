// Batch normalisation over (N, C) or (N, C, d1, ...) inputs, per channel c:
//   y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c
// In training the statistics are the batch's (mean and biased variance over
// N and the spatial dims), and running_mean / running_var, when given, are
// updated in place: running = (1 - momentum) running + momentum batch, with
// the unbiased variance (n / (n - 1)), as PyTorch. In evaluation the running
// statistics are used. weight and bias are optional (affine=False).
#pragma once
#include <cstdint>
#include <optional>
#include <tuple>
#include "core/array.h"

namespace dc {

// Returns (y, mean, invstd): the statistics used, shape (C,), x's dtype.
std::tuple<Array, Array, Array> batch_norm(const Array& x, const std::optional<Array>& running_mean,
                                           const std::optional<Array>& running_var,
                                           const std::optional<Array>& weight,
                                           const std::optional<Array>& bias, bool training,
                                           double momentum, double eps);

// Gradients (x, weight, bias) of batch_norm, each only if asked for; mean and
// invstd are those the forward returned; `training` says whether they were
// batch statistics (which then depend on x).
std::tuple<std::optional<Array>, std::optional<Array>, std::optional<Array>> batch_norm_backward(
    const Array& grad, const Array& x, const std::optional<Array>& weight, const Array& mean,
    const Array& invstd, bool training, bool need_input, bool need_weight, bool need_bias);

// The per-channel steps between the kernels' passes over x
// (ops/kernels/norm.inc). Every array lives on x's device: "f64" arrays are
// contiguous float64 (C,) workspaces, "x's dtype" arrays are 1-D of any
// stride; `opt` arrays may be absent. Kept on the device so that a training
// step never waits for the GPU.
struct BatchNormForwardChannels {
  Array mean, var;  // f64: the batch's statistics (training with M > 0)
  std::optional<Array> running_mean, running_var, weight, bias;  // x's dtype
  bool training = true;
  double momentum = 0.1, eps = 1e-5;
  int64_t M = 0;  // values per channel, N * L
  // Outputs: mean_out, invstd_out (x's dtype, contiguous) are the statistics
  // used, rounded to x's dtype; y = (x - mean_out) * scale + shift (f64).
  Array mean_out, invstd_out, scale, shift;
};

struct BatchNormBackwardChannels {
  Array invstd;                  // x's dtype
  std::optional<Array> weight;   // x's dtype
  Array sum_g, sum_gx;           // f64, read only if have_sums (else 0)
  bool have_sums = false, training = true, need_input = true;
  int64_t M = 0;
  // Outputs: gx = a g + b (x - mean) + d (f64; when need_input), and the
  // weight and bias gradients (x's dtype, contiguous; when present).
  Array a, b, d;
  std::optional<Array> grad_weight, grad_bias;
};

}  // namespace dc
