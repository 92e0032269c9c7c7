// Checks and dispatch for the losses (see loss.h).
//
// Class targets are range-checked on the host before any kernel runs, so a
// bad target raises IndexError on every device. For a GPU target that costs a
// copy of the N * D int64 targets to the host and a wait for the device's
// stream, forward and backward (the price of PyTorch's error behaviour
// without its device-side assert, which kills the CUDA context); everything
// else stays on the device, including the reduction of the per-row losses.
#include "ops/loss.h"
#include <cmath>
#include <cstdint>
#include "cuda/loss.h"
#include "cpu/loss.h"
#include "ops/checks.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

namespace dc {

namespace {

enum class Reduction { None, Mean, Sum };

Reduction parse_reduction(const char* op, const std::string& r) {
  if (r == "mean") return Reduction::Mean;
  if (r == "sum") return Reduction::Sum;
  if (r == "none") return Reduction::None;
  fail<ValueError>(op, ": '", r, "' is not a valid value for reduction (expected 'mean', 'sum' or 'none')");
}

void check_same_dtype(const char* op, const Array& a, const char* a_name, const Array& b,
                      const char* b_name) {
  if (a.dtype() != b.dtype())
    fail<TypeError>(op, ": ", b_name, " has dtype ", dtype_name(b.dtype()), " but ", a_name,
                    " has dtype ", dtype_name(a.dtype()), "; they must match");
}

// ---------------------------------------------------------------- class-index losses
struct ClassLayout {
  int64_t N = 1, C = 0, D = 1;
  Shape row_shape;  // the unreduced loss's shape: input's without the class dim
};

ClassLayout class_layout(const char* op, const Array& input, const char* input_name) {
  if (input.ndim() == 0)
    fail<ShapeError>(op, ": expected ", input_name, " of shape (C,) or (N, C, d1, ...), got a 0-d tensor");
  ClassLayout L;
  const Shape& s = input.shape();
  if (input.ndim() == 1) {
    L.C = s[0];
    return L;
  }
  L.N = s[0];
  L.C = s[1];
  L.row_shape.push_back(s[0]);
  for (size_t d = 2; d < s.size(); ++d) {
    L.D *= s[d];
    L.row_shape.push_back(s[d]);
  }
  return L;
}

// Class-index target: int64 with the rows' shape, each value in [0, C) or
// ignore_index. Returns the targets on the host (contiguous), read there.
Array check_class_target(const char* op, const Array& input, const char* input_name,
                         const Array& target, const ClassLayout& L, int64_t ignore_index,
                         bool allow_ignore) {
  if (target.dtype() != DType::Int64)
    fail<TypeError>(op, ": expected a target of dtype int64 (class indices), got ",
                    dtype_name(target.dtype()));
  if (target.shape() != L.row_shape)
    fail<ShapeError>(op, ": expected target of shape ", shape_str(L.row_shape), " for ", input_name,
                     " of shape ", shape_str(input.shape()), ", got ", shape_str(target.shape()));
  Array t = contiguous(to_device(target, Device{}));
  const int64_t* p = t.data<int64_t>();
  for (int64_t i = 0, n = t.numel(); i < n; ++i) {
    if (allow_ignore && p[i] == ignore_index) continue;
    if (p[i] < 0 || p[i] >= L.C)
      fail<IndexError>(op, ": target ", p[i], " out of range for ", L.C, " classes");
  }
  return t;
}

void check_weight(const char* op, const Array& input, const std::optional<Array>& weight, int64_t C) {
  if (!weight) return;
  check_same_device(op, input, *weight);
  check_same_dtype(op, input, "input", *weight, "weight");
  if (weight->ndim() != 1 || weight->shape()[0] != C)
    fail<ShapeError>(op, ": weight should have ", C, " elements (one per class), got shape ",
                     shape_str(weight->shape()));
}

// The reduced (or unreduced) loss from per-row losses (float64 arrays on the
// input's device), summed in double in a fixed order.
Array reduce_rows(const Array& row_loss, const Array& row_weight, Reduction r, bool weighted_mean,
                  DType dtype, const Shape& row_shape) {
  Array out = Array::empty(r == Reduction::None ? row_shape : Shape{}, dtype, row_loss.device());
  const LossReduction lr = r == Reduction::None  ? LossReduction::None
                           : r == Reduction::Sum ? LossReduction::Sum
                           : weighted_mean       ? LossReduction::WeightedMean
                                                 : LossReduction::Mean;
  DC_DISPATCH(out, reduce_loss_rows, out, row_loss, row_weight, lr);
  return out;
}

// A float64 (n,) array for per-row values on `device`.
Array row_buffer(int64_t n, Device device) { return Array::empty({n}, DType::Float64, device); }

// The incoming gradient of a loss, checked and contiguous: 0-d for a reduced
// loss, else of the rows' shape.
Array check_loss_grad(const char* op, const Array& grad, const Array& input, Reduction r,
                      const Shape& row_shape) {
  check_same_device(op, grad, input);
  check_same_dtype(op, input, "input", grad, "grad");
  const Shape expected = r == Reduction::None ? row_shape : Shape{};
  if (grad.shape() != expected)
    fail<ShapeError>(op, ": expected grad of shape ", shape_str(expected), ", got ",
                     shape_str(grad.shape()));
  return contiguous(grad);
}

// The weighted mean's denominator from the host targets (the weights are
// copied to the host too when on a GPU: C values).
double class_weight_sum(const Array& host_target, const std::optional<Array>& weight,
                        int64_t ignore) {
  const int64_t* p = host_target.data<int64_t>();
  const Array w = weight ? to_device(*weight, Device{}) : Array();
  double s = 0;
  for (int64_t i = 0, n = host_target.numel(); i < n; ++i) {
    if (p[i] == ignore) continue;
    s += weight ? visit_floating(w.dtype(), [&](auto tag) {
      return static_cast<double>(w.data<decltype(tag)>()[p[i] * w.strides()[0]]);
    }) : 1.0;
  }
  return s;
}

struct Prepared {
  ClassLayout L;
  Array x, target, weight;
  Array host_target;  // class targets only
  CrossEntropyProblem pb;  // sizes and options; problem() adds the operands

  // pb with its operand pointers aimed at this object's arrays: set on use,
  // since a Prepared may have been copied since prepare() filled it.
  CrossEntropyProblem problem() const {
    CrossEntropyProblem q = pb;
    q.x = &x;
    q.target = &target;
    q.weight = weight.defined() ? &weight : nullptr;
    return q;
  }
};

// All checks of cross_entropy / nll_loss / multi_margin_loss, then contiguous operands.
Prepared prepare(const char* op, const Array& input, const char* input_name, const Array& target,
                 const std::optional<Array>& weight, int64_t ignore_index, bool allow_prob,
                 bool allow_ignore) {
  check_same_device(op, input, target);
  require_floating(op, input);
  Prepared P;
  P.L = class_layout(op, input, input_name);
  bool prob = false;
  if (allow_prob && is_floating(target.dtype())) {
    prob = true;
    check_same_dtype(op, input, input_name, target, "target");
    if (target.shape() != input.shape())
      fail<ShapeError>(op, ": probability target of shape ", shape_str(target.shape()),
                       " does not match ", input_name, " of shape ", shape_str(input.shape()));
    if (ignore_index >= 0)
      fail<ValueError>(op, ": ignore_index is not supported for probability (floating) targets");
  } else {
    P.host_target =
        check_class_target(op, input, input_name, target, P.L, ignore_index, allow_ignore);
  }
  check_weight(op, input, weight, P.L.C);
  P.x = contiguous(input);
  P.target = contiguous(target);
  if (weight) P.weight = contiguous(*weight);
  P.pb = CrossEntropyProblem{nullptr, nullptr, nullptr, prob,
                                  P.L.N, P.L.C, P.L.D, allow_ignore ? ignore_index : INT64_MIN,
                                  0.0};
  return P;
}

void check_label_smoothing(const char* op, double ls) {
  if (!(ls >= 0.0 && ls <= 1.0))
    fail<ValueError>(op, ": label_smoothing must be between 0.0 and 1.0, got ", ls);
}

// ---------------------------------------------------------------- elementwise losses
PointwiseLoss pointwise_kind(const std::string& name) {
  if (name == "mse_loss") return PointwiseLoss::MSE;
  if (name == "l1_loss") return PointwiseLoss::L1;
  if (name == "binary_cross_entropy") return PointwiseLoss::BCE;
  if (name == "binary_cross_entropy_with_logits") return PointwiseLoss::BCEWithLogits;
  fail<ValueError>("pointwise_loss_backward: unknown loss '", name, "'");
}

// An optional broadcastable weight, or a 0-d 1.
Array weight_or_one(const char* op, const Array& input, const std::optional<Array>& w,
                    const char* name) {
  if (!w) return to_device(scalar_array(1.0, input.dtype()), input.device());
  check_same_device(op, input, *w);
  check_same_dtype(op, input, "input", *w, name);
  const Shape& ws = w->shape();
  const Shape& xs = input.shape();
  bool ok = ws.size() <= xs.size();
  for (size_t d = 0; ok && d < ws.size(); ++d) {
    int64_t a = ws[ws.size() - 1 - d], b = xs[xs.size() - 1 - d];
    ok = a == 1 || a == b;
  }
  if (!ok)
    fail<ShapeError>(op, ": ", name, " of shape ", shape_str(w->shape()),
                     " cannot be broadcast to the input's shape ", shape_str(input.shape()));
  return *w;
}

// Inputs of binary_cross_entropy are probabilities. On a GPU the scan runs
// there and only its answer (8 bytes, and the bad value) comes to the host.
void check_probabilities(const char* op, const Array& input) {
  const Array x = contiguous(input);
  const int64_t i = DC_DISPATCH(x, first_non_probability, x);
  if (i < 0) return;
  const Array bad = to_device(x.as_strided({}, {}, x.offset() + i), Device{});
  visit_floating(bad.dtype(), [&](auto tag) {
    fail<RuntimeError>(op, ": all elements of input should be between 0 and 1, got ",
                       *bad.data<decltype(tag)>());
  });
}

struct PointwiseArgs {
  Array w, pw;
};

PointwiseArgs check_pointwise(const char* op, PointwiseLoss kind, const Array& input,
                              const Array& target, const std::optional<Array>& weight,
                              const std::optional<Array>& pos_weight) {
  check_same_device(op, input, target);
  require_floating(op, input);
  check_same_dtype(op, input, "input", target, "target");
  // PyTorch broadcasts mse/l1 operands of different shapes with only a
  // warning, which hides bugs such as (N, 1) against (N,); deepcore raises.
  if (input.shape() != target.shape())
    fail<ShapeError>(op, ": input of shape ", shape_str(input.shape()), " and target of shape ",
                     shape_str(target.shape()), " must have the same shape");
  if (kind == PointwiseLoss::BCE) check_probabilities(op, input);
  return {weight_or_one(op, input, weight, "weight"), weight_or_one(op, input, pos_weight, "pos_weight")};
}

Array pointwise_forward(const char* op, PointwiseLoss kind, const Array& input,
                        const Array& target, const std::optional<Array>& weight,
                        const std::optional<Array>& pos_weight, const std::string& reduction) {
  Reduction r = parse_reduction(op, reduction);
  PointwiseArgs a = check_pointwise(op, kind, input, target, weight, pos_weight);
  Array out = Array::empty(input.shape(), input.dtype(), input.device());
  if (out.numel() > 0) DC_DISPATCH(out, pointwise_loss, kind, out, input, target, a.w, a.pw);
  if (r == Reduction::None) return out;
  return r == Reduction::Sum ? sum(out, std::nullopt, false) : mean(out, std::nullopt, false);
}

}  // namespace

// ---------------------------------------------------------------- cross-entropy
std::pair<Array, Array> cross_entropy(const Array& logits, const Array& target,
                                      const std::optional<Array>& weight, int64_t ignore_index,
                                      double label_smoothing, const std::string& reduction) {
  const char* op = "cross_entropy";
  Reduction r = parse_reduction(op, reduction);
  check_label_smoothing(op, label_smoothing);
  Prepared P = prepare(op, logits, "logits", target, weight, ignore_index, true, true);
  P.pb.label_smoothing = label_smoothing;
  const int64_t rows = P.L.N * P.L.D;
  Array loss = row_buffer(rows, logits.device()), wsum = row_buffer(rows, logits.device());
  Array lse = Array::empty(P.L.row_shape, logits.dtype(), logits.device());
  if (rows > 0) DC_DISPATCH(logits, cross_entropy, P.problem(), loss, wsum, lse);
  return {reduce_rows(loss, wsum, r, !P.pb.prob, logits.dtype(), P.L.row_shape), lse};
}

Array cross_entropy_backward(const Array& grad, const Array& logits, const Array& target,
                             const std::optional<Array>& weight, const Array& lse,
                             int64_t ignore_index, double label_smoothing,
                             const std::string& reduction) {
  const char* op = "cross_entropy_backward";
  Reduction r = parse_reduction(op, reduction);
  check_label_smoothing(op, label_smoothing);
  Prepared P = prepare(op, logits, "logits", target, weight, ignore_index, true, true);
  P.pb.label_smoothing = label_smoothing;
  check_same_device(op, logits, lse);
  check_same_dtype(op, logits, "logits", lse, "lse");
  if (lse.shape() != P.L.row_shape)
    fail<ShapeError>(op, ": expected lse of shape ", shape_str(P.L.row_shape), ", got ",
                     shape_str(lse.shape()));
  const Array g = check_loss_grad(op, grad, logits, r, P.L.row_shape);
  double denom = 1.0;
  if (r == Reduction::Mean)
    denom = P.pb.prob ? static_cast<double>(P.L.N * P.L.D)
                      : class_weight_sum(P.host_target, weight, ignore_index);
  Array gx = Array::empty(logits.shape(), logits.dtype(), logits.device());
  if (gx.numel() > 0)
    DC_DISPATCH(gx, cross_entropy_backward, P.problem(), contiguous(lse), g, denom, gx);
  return gx;
}

// ---------------------------------------------------------------- nll
Array nll_loss(const Array& input, const Array& target, const std::optional<Array>& weight,
               int64_t ignore_index, const std::string& reduction) {
  const char* op = "nll_loss";
  Reduction r = parse_reduction(op, reduction);
  Prepared P = prepare(op, input, "input", target, weight, ignore_index, false, true);
  const int64_t rows = P.L.N * P.L.D;
  Array loss = row_buffer(rows, input.device()), wsum = row_buffer(rows, input.device());
  if (rows > 0) DC_DISPATCH(input, nll_loss, P.problem(), loss, wsum);
  return reduce_rows(loss, wsum, r, true, input.dtype(), P.L.row_shape);
}

Array nll_loss_backward(const Array& grad, const Array& input, const Array& target,
                        const std::optional<Array>& weight, int64_t ignore_index,
                        const std::string& reduction) {
  const char* op = "nll_loss_backward";
  Reduction r = parse_reduction(op, reduction);
  Prepared P = prepare(op, input, "input", target, weight, ignore_index, false, true);
  const Array g = check_loss_grad(op, grad, input, r, P.L.row_shape);
  const double denom =
      r == Reduction::Mean ? class_weight_sum(P.host_target, weight, ignore_index) : 1.0;
  Array gx = Array::empty(input.shape(), input.dtype(), input.device());
  if (gx.numel() > 0) DC_DISPATCH(gx, nll_loss_backward, P.problem(), g, denom, gx);
  return gx;
}

// ---------------------------------------------------------------- multi-margin
namespace {
Prepared prepare_margin(const char* op, const Array& input, const Array& target, int64_t p,
                        double margin, const std::optional<Array>& weight) {
  if (p != 1 && p != 2) fail<ValueError>(op, ": only p == 1 and p == 2 are supported, got ", p);
  if (!std::isfinite(margin)) fail<ValueError>(op, ": margin must be finite, got ", margin);
  if (input.ndim() > 2)
    fail<ShapeError>(op, ": expected input of shape (C,) or (N, C), got ", shape_str(input.shape()));
  return prepare(op, input, "input", target, weight, 0, false, false);
}
}  // namespace

Array multi_margin_loss(const Array& input, const Array& target, int64_t p, double margin,
                        const std::optional<Array>& weight, const std::string& reduction) {
  const char* op = "multi_margin_loss";
  Reduction r = parse_reduction(op, reduction);
  Prepared P = prepare_margin(op, input, target, p, margin, weight);
  Array loss = row_buffer(P.L.N, input.device());
  if (P.L.N > 0) DC_DISPATCH(input, multi_margin_loss, P.problem(), p, margin, loss);
  return reduce_rows(loss, loss, r, false, input.dtype(), P.L.row_shape);
}

Array multi_margin_loss_backward(const Array& grad, const Array& input, const Array& target,
                                 int64_t p, double margin, const std::optional<Array>& weight,
                                 const std::string& reduction) {
  const char* op = "multi_margin_loss_backward";
  Reduction r = parse_reduction(op, reduction);
  Prepared P = prepare_margin(op, input, target, p, margin, weight);
  const Array g = check_loss_grad(op, grad, input, r, P.L.row_shape);
  const double denom = r == Reduction::Mean ? static_cast<double>(P.L.N) : 1.0;
  Array gx = Array::empty(input.shape(), input.dtype(), input.device());
  if (gx.numel() > 0) DC_DISPATCH(gx, multi_margin_loss_backward, P.problem(), p, margin, g, denom, gx);
  return gx;
}

// ---------------------------------------------------------------- elementwise losses
Array mse_loss(const Array& input, const Array& target, const std::string& reduction) {
  return pointwise_forward("mse_loss", PointwiseLoss::MSE, input, target, std::nullopt,
                           std::nullopt, reduction);
}

Array l1_loss(const Array& input, const Array& target, const std::string& reduction) {
  return pointwise_forward("l1_loss", PointwiseLoss::L1, input, target, std::nullopt,
                           std::nullopt, reduction);
}

Array binary_cross_entropy(const Array& input, const Array& target,
                           const std::optional<Array>& weight, const std::string& reduction) {
  return pointwise_forward("binary_cross_entropy", PointwiseLoss::BCE, input, target, weight,
                           std::nullopt, reduction);
}

Array binary_cross_entropy_with_logits(const Array& input, const Array& target,
                                       const std::optional<Array>& weight,
                                       const std::optional<Array>& pos_weight,
                                       const std::string& reduction) {
  return pointwise_forward("binary_cross_entropy_with_logits", PointwiseLoss::BCEWithLogits,
                           input, target, weight, pos_weight, reduction);
}

Array pointwise_loss_backward(const std::string& loss, const Array& grad, const Array& input,
                              const Array& target, const std::optional<Array>& weight,
                              const std::optional<Array>& pos_weight,
                              const std::string& reduction, bool wrt_target) {
  const char* op = "pointwise_loss_backward";
  PointwiseLoss kind = pointwise_kind(loss);
  Reduction r = parse_reduction(op, reduction);
  PointwiseArgs a = check_pointwise(op, kind, input, target, weight, pos_weight);
  check_same_device(op, grad, input);
  check_same_dtype(op, input, "input", grad, "grad");
  const Shape expected = r == Reduction::None ? input.shape() : Shape{};
  if (grad.shape() != expected)
    fail<ShapeError>(op, ": expected grad of shape ", shape_str(expected), ", got ",
                     shape_str(grad.shape()));
  const double scale = r == Reduction::Mean ? 1.0 / static_cast<double>(input.numel()) : 1.0;
  Array out = Array::empty(input.shape(), input.dtype(), input.device());
  if (out.numel() > 0)
    DC_DISPATCH(out, pointwise_loss_backward, kind, wrt_target, out, grad, input, target, a.w,
                a.pw, scale);
  return out;
}

}  // namespace dc
