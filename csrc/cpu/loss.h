// CPU kernels for csrc/ops/loss.h (types and conventions in its "kernel
// interface" section; cuda/loss.h declares the same functions). Inputs are
// checked and contiguous, except the elementwise losses, which take any
// strides.
#pragma once
#include <cstdint>
#include "core/array.h"
#include "ops/loss.h"

namespace dc::cpu {

// Per row: the loss (row_loss), the weight it counts with in a class-target
// mean (row_weight: w[t], 0 if ignored; 1 for prob targets) and lse (x's dtype).
void cross_entropy(const CrossEntropyProblem& pb, const Array& row_loss, const Array& row_weight,
                   const Array& lse);
// gx = scale_i * (softmax * A - B). `grad` (x's dtype) is either 0-d, and then
// scale_i = grad / denom for every row, or contiguous with one value per row,
// and then scale_i = grad[i] (denom is 1).
void cross_entropy_backward(const CrossEntropyProblem& pb, const Array& lse, const Array& grad,
                            double denom, const Array& gx);

// nll_loss on x (N, C, D): row_loss = -w[t] x[n, t, k], row_weight = w[t].
void nll_loss(const CrossEntropyProblem& pb, const Array& row_loss, const Array& row_weight);
void nll_loss_backward(const CrossEntropyProblem& pb, const Array& grad, double denom,
                       const Array& gx);

// multi_margin_loss on x (N, C) (D == 1).
void multi_margin_loss(const CrossEntropyProblem& pb, int64_t p, double margin,
                       const Array& row_loss);
void multi_margin_loss_backward(const CrossEntropyProblem& pb, int64_t p, double margin,
                                const Array& grad, double denom, const Array& gx);

// out (the loss's dtype) from the per-row losses: the rows' shape for None,
// else 0-d. Sums are taken in double in row order (CUDA: in a fixed tree).
void reduce_loss_rows(const Array& out, const Array& row_loss, const Array& row_weight,
                      LossReduction r);

// out = loss(x, y) * w elementwise; w and pw broadcast to out (0-d ones when
// absent), x and y have out's shape.
void pointwise_loss(PointwiseLoss kind, const Array& out, const Array& x, const Array& y,
                    const Array& w, const Array& pw);
// out = scale * grad * d loss / d x (or d y), grad broadcast to out.
void pointwise_loss_backward(PointwiseLoss kind, bool wrt_target, const Array& out,
                             const Array& grad, const Array& x, const Array& y, const Array& w,
                             const Array& pw, double scale);
// The index of the first element of contiguous x that is not in [0, 1]
// (NaN included), or -1: binary_cross_entropy's input check.
int64_t first_non_probability(const Array& x);

}  // namespace dc::cpu
