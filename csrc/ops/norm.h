// Batch normalisation over (N, C) or (N, C, d1, ...) inputs, per channel c:
//   y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c
// In training the statistics are the batch's (mean and biased variance over
// N and the spatial dims), and running_mean / running_var, when given, are
// updated in place: running = (1 - momentum) running + momentum batch, with
// the unbiased variance (n / (n - 1)), as PyTorch. In evaluation the running
// statistics are used. weight and bias are optional (affine=False).
#pragma once
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

}  // namespace dc
