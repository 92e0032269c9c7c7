// CUDA kernels for csrc/ops/optim.h, the signatures of csrc/cpu/optim.h (the
// op has checked everything: contiguous arrays on one GPU, a tensor's arrays
// of its shape and floating dtype, steps >= 1). Design in optim.cu.
#pragma once
#include <cstdint>
#include <vector>
#include "core/array.h"
#include "ops/optim.h"

namespace dc::cuda {

// One launch for all the tensors (a multi-tensor kernel over their
// concatenated elements); `max_exp_avg_sqs` is empty unless opt.amsgrad.
void adam_step(const std::vector<Array>& params, const std::vector<Array>& grads,
               const std::vector<Array>& exp_avgs, const std::vector<Array>& exp_avg_sqs,
               const std::vector<Array>& max_exp_avg_sqs, const std::vector<int64_t>& steps,
               const AdamOptions& opt);
// The same kernel with its 16-byte vector path switched off (every element
// through the scalar loop): what the vector path is checked against.
void adam_step_reference(const std::vector<Array>& params, const std::vector<Array>& grads,
                         const std::vector<Array>& exp_avgs,
                         const std::vector<Array>& exp_avg_sqs,
                         const std::vector<Array>& max_exp_avg_sqs,
                         const std::vector<int64_t>& steps, const AdamOptions& opt);

void axpby_(const Array& out, double alpha, const Array& x, double beta);
void addcmul_(const Array& out, double alpha, const Array& t1, const Array& t2, double value);
void addcdiv_(const Array& out, double alpha, const Array& t1, const Array& t2, double value);

}  // namespace dc::cuda
