// CUDA kernels for csrc/ops/loss.h, with the signatures of csrc/cpu/loss.h
// (conventions in ops/loss.h's "kernel interface" section). All arrays,
// per-row buffers included, live on one GPU; the ops layer has checked them.
#pragma once
#include <cstdint>
#include "core/array.h"
#include "ops/loss.h"

namespace dc::cuda {

void cross_entropy(const CrossEntropyProblem& pb, const Array& row_loss, const Array& row_weight,
                   const Array& lse);
void cross_entropy_backward(const CrossEntropyProblem& pb, const Array& lse, const Array& grad,
                            double denom, const Array& gx);
void nll_loss(const CrossEntropyProblem& pb, const Array& row_loss, const Array& row_weight);
void nll_loss_backward(const CrossEntropyProblem& pb, const Array& grad, double denom,
                       const Array& gx);
void multi_margin_loss(const CrossEntropyProblem& pb, int64_t p, double margin,
                       const Array& row_loss);
void multi_margin_loss_backward(const CrossEntropyProblem& pb, int64_t p, double margin,
                                const Array& grad, double denom, const Array& gx);
void reduce_loss_rows(const Array& out, const Array& row_loss, const Array& row_weight,
                      LossReduction r);
void pointwise_loss(PointwiseLoss kind, const Array& out, const Array& x, const Array& y,
                    const Array& w, const Array& pw);
void pointwise_loss_backward(PointwiseLoss kind, bool wrt_target, const Array& out,
                             const Array& grad, const Array& x, const Array& y, const Array& w,
                             const Array& pw, double scale);
// Scans on the GPU; waits for the stream to bring the 8-byte answer back.
int64_t first_non_probability(const Array& x);

}  // namespace dc::cuda
