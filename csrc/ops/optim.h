// Optimiser updates (dc.optim): the fused Adam/AdamW step over a list of
// tensors, and three small fused in-place kernels from which the other
// optimisers are composed. Every array is updated in place; each function
// checks its operands (device, dtype, contiguity, shapes, hyper-parameters)
// before any kernel runs.
#pragma once
#include <vector>
#include "core/array.h"

namespace dc {

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  bool decoupled = false;  // AdamW: p *= 1 - lr*wd instead of g += wd*p
  bool amsgrad = false;
  bool maximize = false;
};

// One Adam step (PyTorch's algorithm) for every tensor i: reads grads[i] and
// updates params[i], exp_avgs[i], exp_avg_sqs[i] (and max_exp_avg_sqs[i]
// when amsgrad; the list is empty otherwise) in place. steps[i] >= 1 is the
// step number of tensor i after this step, which sets its bias corrections.
// All arrays on one device (a RuntimeError names the odd one out),
// contiguous, floating; the four (five) arrays of a tensor share its shape
// and dtype; different tensors may differ. On a GPU the whole step is one
// multi-tensor kernel launch per dtype present (cuda/optim.cu).
// `reference`: run the plain scalar kernel instead of the vectorised one
// (for tests and benchmarks; on a GPU the same kernel without 16-byte loads).
void adam_step(const std::vector<Array>& params, const std::vector<Array>& grads,
               const std::vector<Array>& exp_avgs, const std::vector<Array>& exp_avg_sqs,
               const std::vector<Array>& max_exp_avg_sqs, const std::vector<int64_t>& steps,
               const AdamOptions& opt, bool reference = false);

// out = alpha * out + beta * x (beta == 0: out = alpha * out, x is not read)
void optim_axpby_(const Array& out, double alpha, const Array& x, double beta);
// out = alpha * out + value * t1 * t2
void optim_addcmul_(const Array& out, double alpha, const Array& t1, const Array& t2,
                    double value);
// out = alpha * out + value * t1 / t2
void optim_addcdiv_(const Array& out, double alpha, const Array& t1, const Array& t2,
                    double value);

}  // namespace dc
