// CPU kernels for csrc/ops/norm.h on contiguous x viewed as (N, C, L).
#pragma once
#include <cstdint>
#include "core/array.h"

namespace dc::cpu {

// Per-channel mean and biased variance (double), N * L > 0.
void batch_norm_stats(const Array& x, int64_t N, int64_t C, int64_t L, double* mean, double* var);
// y = (x - mean_c) * scale_c + shift_c.
void batch_norm_apply(const Array& y, const Array& x, int64_t N, int64_t C, int64_t L,
                      const double* mean, const double* scale, const double* shift);
// sum_g_c = sum g, sum_gx_c = sum g (x - mean_c) over N and L.
void batch_norm_grad_sums(const Array& g, const Array& x, int64_t N, int64_t C, int64_t L,
                          const double* mean, double* sum_g, double* sum_gx);
// gx = a_c g + b_c (x - mean_c) + d_c.
void batch_norm_grad_input(const Array& gx, const Array& g, const Array& x, int64_t N, int64_t C,
                           int64_t L, const double* mean, const double* a, const double* b,
                           const double* d);

}  // namespace dc::cpu
