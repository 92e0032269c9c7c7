// CPU kernels for csrc/ops/norm.h on contiguous x viewed as (N, C, L).
// Per-channel vectors are Arrays on x's device (see BatchNormForwardChannels
// in ops/norm.h): "f64" ones contiguous float64 (C,), "mean" 1-D of x's
// dtype and any stride. cuda/norm.h declares the same functions.
#pragma once
#include <cstdint>
#include "core/array.h"
#include "ops/norm.h"

namespace dc::cpu {

// Per-channel mean and biased variance into the f64 arrays, N * L > 0.
void batch_norm_stats(const Array& x, int64_t N, int64_t C, int64_t L, const Array& mean,
                      const Array& var);
// The statistics used, running-statistics update and affine map of the forward.
void batch_norm_forward_channels(const BatchNormForwardChannels& k);
// y = (x - mean_c) * scale_c + shift_c (scale, shift f64).
void batch_norm_apply(const Array& y, const Array& x, int64_t N, int64_t C, int64_t L,
                      const Array& mean, const Array& scale, const Array& shift);
// sum_g_c = sum g, sum_gx_c = sum g (x - mean_c) over N and L (f64 outputs).
void batch_norm_grad_sums(const Array& g, const Array& x, int64_t N, int64_t C, int64_t L,
                          const Array& mean, const Array& sum_g, const Array& sum_gx);
// The backward's per-channel coefficients and the weight and bias gradients.
void batch_norm_backward_channels(const BatchNormBackwardChannels& k);
// gx = a_c g + b_c (x - mean_c) + d_c (a, b, d f64).
void batch_norm_grad_input(const Array& gx, const Array& g, const Array& x, int64_t N, int64_t C,
                           int64_t L, const Array& mean, const Array& a, const Array& b,
                           const Array& d);

}  // namespace dc::cpu
