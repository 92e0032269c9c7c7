// Loss functions with PyTorch's semantics, each with its native backward.
//
// `reduction` is "mean", "sum" or "none". Reduced losses are 0-d; their
// backward takes a 0-d grad, the unreduced ones a grad of the loss's shape.
// Sums are taken in double in a fixed order (results do not depend on the
// number of threads).
//
// Class-index losses (cross_entropy with int64 targets, nll_loss) take input
// (C,) with a 0-d target, or (N, C, d1, ...) with target (N, d1, ...); the
// class dim is dim 1 (dim 0 for 1-D input). Targets equal to ignore_index
// contribute nothing (and nothing to the mean's denominator); other targets
// outside [0, C) raise IndexError before any kernel runs. weight, when given,
// is a (C,) per-class weight; "mean" divides by the sum of the weights of the
// non-ignored targets (PyTorch's weighted mean).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include "core/array.h"

namespace dc {

// Softmax cross-entropy from logits in one fused op.
// Class targets (int64): loss_i = (1 - ls) w[t] (lse_i - x[i, t])
//                                 + ls / C * sum_c w[c] (lse_i - x[i, c]).
// Probability targets (floating, logits' shape), t' = (1 - ls) t + ls / C:
//   loss_i = sum_c w[c] t'[i, c] (lse_i - x[i, c]); "mean" divides by the
//   number of rows (N * d1 * ...), as PyTorch.
// Returns (loss, lse): lse_i = log sum_c exp(x[i, c]) (shape of the loss per
// row), which the backward needs.
std::pair<Array, Array> cross_entropy(const Array& logits, const Array& target,
                                      const std::optional<Array>& weight, int64_t ignore_index,
                                      double label_smoothing, const std::string& reduction);
// d loss / d logits = scale_i (softmax_i * A_i - B_i) in one pass, where for
// class targets A_i = (1 - ls) w[t] + ls/C sum(w), B_ic = (1 - ls) w[t] [c = t]
// + ls/C w[c], and for probability targets A_i = sum_c w[c] t'_ic,
// B_ic = w[c] t'_ic.
Array cross_entropy_backward(const Array& grad, const Array& logits, const Array& target,
                             const std::optional<Array>& weight, const Array& lse,
                             int64_t ignore_index, double label_smoothing,
                             const std::string& reduction);

// Negative log-likelihood of log-probabilities: loss_i = -w[t] input[i, t].
Array nll_loss(const Array& input, const Array& target, const std::optional<Array>& weight,
               int64_t ignore_index, const std::string& reduction);
Array nll_loss_backward(const Array& grad, const Array& input, const Array& target,
                        const std::optional<Array>& weight, int64_t ignore_index,
                        const std::string& reduction);

// Multi-class hinge loss on input (N, C) or (C,) with target (N,) or ():
// loss_i = sum_{j != t} w[t] max(0, margin - x[i, t] + x[i, j])^p / C, p in {1, 2}.
Array multi_margin_loss(const Array& input, const Array& target, int64_t p, double margin,
                        const std::optional<Array>& weight, const std::string& reduction);
Array multi_margin_loss_backward(const Array& grad, const Array& input, const Array& target,
                                 int64_t p, double margin, const std::optional<Array>& weight,
                                 const std::string& reduction);

// Elementwise losses of input and target of the same shape:
//   mse  (x - y)^2          l1  |x - y|
//   bce  -w (y log x + (1 - y) log(1 - x)), logs clamped at -100, x in [0, 1]
//   bce_with_logits  w ((1 - y) x - (1 + (pw - 1) y) log sigmoid(x)), stable
// w (weight) broadcasts to the input; pw (pos_weight) too.
Array mse_loss(const Array& input, const Array& target, const std::string& reduction);
Array l1_loss(const Array& input, const Array& target, const std::string& reduction);
Array binary_cross_entropy(const Array& input, const Array& target,
                           const std::optional<Array>& weight, const std::string& reduction);
Array binary_cross_entropy_with_logits(const Array& input, const Array& target,
                                       const std::optional<Array>& weight,
                                       const std::optional<Array>& pos_weight,
                                       const std::string& reduction);
// Gradient of one of the four above ("mse_loss", "l1_loss",
// "binary_cross_entropy", "binary_cross_entropy_with_logits") with respect
// to the input, or to the target when wrt_target is true.
Array pointwise_loss_backward(const std::string& loss, const Array& grad, const Array& input,
                              const Array& target, const std::optional<Array>& weight,
                              const std::optional<Array>& pos_weight,
                              const std::string& reduction, bool wrt_target);

// ---------------------------------------------------------------- kernel interface
// What the ops above hand to the cpu:: and cuda:: loss kernels, which share
// their signatures (ops/kernels/loss.inc). Every Array lives on the
// input's device; per-row buffers are contiguous float64 arrays of N * D
// elements, rows indexed i = n * D + k for input (N, C, D) viewed with the
// class dim in the middle.

// Class-index (prob == false, target int64 (N, D)) or probability (prob ==
// true, target like x) problem on contiguous x (N, C, D).
struct CrossEntropyProblem {
  const Array* x;
  const Array* target;
  const Array* weight;  // (C,) or nullptr
  bool prob;
  int64_t N, C, D;
  int64_t ignore_index;
  double label_smoothing;
};

enum class PointwiseLoss { MSE, L1, BCE, BCEWithLogits };

// How per-row losses become the result: copied to the loss's dtype (None),
// or summed in double, then divided by the number of rows (Mean) or by the
// sum of the row weights (WeightedMean, the class-weighted mean).
enum class LossReduction { None, Sum, Mean, WeightedMean };

}  // namespace dc
