// CPU kernels for csrc/ops/loss.h. Inputs are checked and contiguous (except
// the elementwise losses, which take any strides); rows are indexed
// i = n * D + k for input (N, C, D) viewed with the class dim in the middle.
#pragma once
#include <cstdint>
#include "core/array.h"

namespace dc::cpu {

// Class-index (prob == false, target int64 (N, D)) or probability (prob ==
// true, target like x) cross-entropy problem on x (N, C, D).
struct CrossEntropyProblem {
  const Array* x;
  const Array* target;
  const Array* weight;  // (C,) or nullptr
  bool prob;
  int64_t N, C, D;
  int64_t ignore_index;
  double label_smoothing;
};

// Per row: the loss (double), the weight it counts with in a class-target
// mean (w[t], 0 if ignored; unused for prob targets) and lse (x's dtype).
void cross_entropy(const CrossEntropyProblem& pb, double* row_loss, double* row_weight,
                   const Array& lse);
// gx = scale_i * (softmax * A - B), scale_i = scale * grad_rows[i] (grad_rows
// contiguous, x's dtype) or scale when grad_rows is null.
void cross_entropy_backward(const CrossEntropyProblem& pb, const Array& lse,
                            const Array* grad_rows, double scale, const Array& gx);

// nll_loss on x (N, C, D): row_loss = -w[t] x[n, t, k], row_weight = w[t].
void nll_loss(const CrossEntropyProblem& pb, double* row_loss, double* row_weight);
void nll_loss_backward(const CrossEntropyProblem& pb, const Array* grad_rows, double scale,
                       const Array& gx);

// multi_margin_loss on x (N, C) (D == 1).
void multi_margin_loss(const CrossEntropyProblem& pb, int64_t p, double margin, double* row_loss);
void multi_margin_loss_backward(const CrossEntropyProblem& pb, int64_t p, double margin,
                                const Array* grad_rows, double scale, const Array& gx);

enum class PointwiseLoss { MSE, L1, BCE, BCEWithLogits };
// out = loss(x, y) * w elementwise; w and pw broadcast to out (0-d ones when
// absent), x and y have out's shape.
void pointwise_loss(PointwiseLoss kind, const Array& out, const Array& x, const Array& y,
                    const Array& w, const Array& pw);
// out = scale * grad * d loss / d x (or d y), grad broadcast to out.
void pointwise_loss_backward(PointwiseLoss kind, bool wrt_target, const Array& out,
                             const Array& grad, const Array& x, const Array& y, const Array& w,
                             const Array& pw, double scale);

}  // namespace dc::cpu
