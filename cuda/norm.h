// CUDA kernels for csrc/ops/norm.h, the signatures of csrc/cpu/norm.h (see
// there and ops/norm.h for the layout and the per-channel arrays, all on x's
// GPU). Design and byte counts in norm.cu.
#pragma once
#include <cstdint>
#include "core/array.h"
#include "ops/norm.h"

namespace dc::cuda {

void batch_norm_stats(const Array& x, int64_t N, int64_t C, int64_t L, const Array& mean,
                      const Array& var);
void batch_norm_forward_channels(const BatchNormForwardChannels& k);
void batch_norm_apply(const Array& y, const Array& x, int64_t N, int64_t C, int64_t L,
                      const Array& mean, const Array& scale, const Array& shift);
void batch_norm_grad_sums(const Array& g, const Array& x, int64_t N, int64_t C, int64_t L,
                          const Array& mean, const Array& sum_g, const Array& sum_gx);
void batch_norm_backward_channels(const BatchNormBackwardChannels& k);
void batch_norm_grad_input(const Array& gx, const Array& g, const Array& x, int64_t N, int64_t C,
                           int64_t L, const Array& mean, const Array& a, const Array& b,
                           const Array& d);

}  // namespace dc::cuda
