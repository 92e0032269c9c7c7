// CPU kernels for csrc/ops/optim.h. The op has checked everything: arrays are
// contiguous CPU arrays, a tensor's arrays share its shape and floating
// dtype, steps are >= 1 and the hyper-parameters are in range.
#pragma once
#include <vector>
#include "core/array.h"
#include "ops/optim.h"

namespace dc::cpu {

// `max_exp_avg_sqs` is empty unless opt.amsgrad.
void adam_step(const std::vector<Array>& params, const std::vector<Array>& grads,
               const std::vector<Array>& exp_avgs, const std::vector<Array>& exp_avg_sqs,
               const std::vector<Array>& max_exp_avg_sqs, const std::vector<int64_t>& steps,
               const AdamOptions& opt);

// Plain scalar loops of the same update, the reference the vectorised path is
// checked against (bench/adam.py, tests) and the path on CPUs without AVX2.
void adam_step_reference(const std::vector<Array>& params, const std::vector<Array>& grads,
                         const std::vector<Array>& exp_avgs,
                         const std::vector<Array>& exp_avg_sqs,
                         const std::vector<Array>& max_exp_avg_sqs,
                         const std::vector<int64_t>& steps, const AdamOptions& opt);

// True when adam_step takes the AVX2/FMA path on this CPU.
bool adam_uses_avx2();

void axpby_(const Array& out, double alpha, const Array& x, double beta);
void addcmul_(const Array& out, double alpha, const Array& t1, const Array& t2, double value);
void addcdiv_(const Array& out, double alpha, const Array& t1, const Array& t2, double value);

}  // namespace dc::cpu
