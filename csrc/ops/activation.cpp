// Checks and dispatch for the activation ops (see activation.h).
#include "ops/activation.h"
#include <cmath>
#include "cuda/activation.h"
#include "cpu/activation.h"
#include "ops/checks.h"
#include "ops/elementwise.h"

namespace dc {

namespace {

void check_input(const char* op, const Array& x) { require_floating(op, x); }

// grad and the saved tensor: same device, dtype and shape.
void check_grad(const char* op, const Array& grad, const Array& saved, const char* saved_name) {
  check_same_device(op, grad, saved);
  require_floating(op, saved);
  if (grad.dtype() != saved.dtype())
    fail<TypeError>(op, ": grad has dtype ", dtype_name(grad.dtype()), " but the ", saved_name,
                    " has dtype ", dtype_name(saved.dtype()));
  if (grad.shape() != saved.shape())
    fail<ShapeError>(op, ": grad of shape ", shape_str(grad.shape()), " does not match the ",
                     saved_name, " of shape ", shape_str(saved.shape()));
}

void check_param(const char* op, const char* name, double v) {
  if (!std::isfinite(v)) fail<ValueError>(op, ": ", name, " must be finite, got ", v);
}

Array backward(const char* op, ActGrad kind, const Array& grad, const Array& saved,
               const char* saved_name, double param = 0.0) {
  check_grad(op, grad, saved, saved_name);
  Array out = Array::empty(saved.shape(), saved.dtype(), saved.device());
  if (out.numel() > 0) DC_DISPATCH(out, activation_backward, kind, out, grad, saved, param);
  return out;
}

// (outer, n, inner) of x around `dim`; a 0-d array is one element along dim 0.
struct Split {
  int64_t outer = 1, n = 1, inner = 1;
};
Split split_at(const char* op, const Shape& shape, int64_t dim) {
  int64_t nd = static_cast<int64_t>(shape.size());
  int64_t d = wrap_dim(op, dim, nd == 0 ? 1 : nd);
  Split s;
  if (nd == 0) return s;
  for (int64_t i = 0; i < d; ++i) s.outer *= shape[i];
  s.n = shape[d];
  for (int64_t i = d + 1; i < nd; ++i) s.inner *= shape[i];
  return s;
}

Array softmax_impl(const char* op, const Array& x, int64_t dim, bool log) {
  check_input(op, x);
  Split s = split_at(op, x.shape(), dim);
  Array out = Array::empty(x.shape(), x.dtype(), x.device());
  if (out.numel() > 0) DC_DISPATCH(out, softmax, out, contiguous(x), s.outer, s.n, s.inner, log);
  return out;
}

Array softmax_backward_impl(const char* op, const Array& grad, const Array& out, int64_t dim,
                            bool log) {
  check_grad(op, grad, out, "output");
  Split s = split_at(op, out.shape(), dim);
  Array gx = Array::empty(out.shape(), out.dtype(), out.device());
  if (gx.numel() > 0)
    DC_DISPATCH(gx, softmax_backward, gx, contiguous(grad), contiguous(out), s.outer, s.n, s.inner,
                log);
  return gx;
}

void check_p(const char* op, double p) {
  if (!(p >= 0.0 && p <= 1.0))
    fail<ValueError>(op, ": dropout probability has to be between 0 and 1, but got ", p);
}

// Keep an element when its 32 random bits are >= p * 2^32 (p == 1: never).
uint64_t threshold(double p) { return static_cast<uint64_t>(std::llround(p * 4294967296.0)); }
double scale_of(double p) { return p < 1.0 ? 1.0 / (1.0 - p) : 0.0; }

}  // namespace

Array leaky_relu(const Array& x, double negative_slope) {
  check_input("leaky_relu", x);
  check_param("leaky_relu", "negative_slope", negative_slope);
  Array out = Array::empty(x.shape(), x.dtype(), x.device());
  if (out.numel() > 0) DC_DISPATCH(out, leaky_relu, out, x, negative_slope);
  return out;
}

Array elu(const Array& x, double alpha) {
  check_input("elu", x);
  check_param("elu", "alpha", alpha);
  Array out = Array::empty(x.shape(), x.dtype(), x.device());
  if (out.numel() > 0) DC_DISPATCH(out, elu, out, x, alpha);
  return out;
}

Array relu_backward(const Array& grad, const Array& out) {
  return backward("relu_backward", ActGrad::Relu, grad, out, "output");
}
Array sigmoid_backward(const Array& grad, const Array& out) {
  return backward("sigmoid_backward", ActGrad::Sigmoid, grad, out, "output");
}
Array tanh_backward(const Array& grad, const Array& out) {
  return backward("tanh_backward", ActGrad::Tanh, grad, out, "output");
}
Array leaky_relu_backward(const Array& grad, const Array& x, double negative_slope) {
  check_param("leaky_relu_backward", "negative_slope", negative_slope);
  return backward("leaky_relu_backward", ActGrad::LeakyRelu, grad, x, "input",
                  negative_slope);
}
Array elu_backward(const Array& grad, const Array& x, double alpha) {
  check_param("elu_backward", "alpha", alpha);
  return backward("elu_backward", ActGrad::Elu, grad, x, "input", alpha);
}

Array softmax(const Array& x, int64_t dim) { return softmax_impl("softmax", x, dim, false); }
Array log_softmax(const Array& x, int64_t dim) { return softmax_impl("log_softmax", x, dim, true); }
Array softmax_backward(const Array& grad, const Array& out, int64_t dim) {
  return softmax_backward_impl("softmax_backward", grad, out, dim, false);
}
Array log_softmax_backward(const Array& grad, const Array& out, int64_t dim) {
  return softmax_backward_impl("log_softmax_backward", grad, out, dim, true);
}

std::tuple<Array, uint64_t, uint64_t> dropout(const Array& x, double p, Generator& gen) {
  check_input("dropout", x);
  check_p("dropout", p);
  uint64_t n = static_cast<uint64_t>(x.numel());
  uint64_t seed = gen.seed(), offset = gen.advance((n + 3) / 4);
  Array out = Array::empty(x.shape(), x.dtype(), x.device());
  if (n > 0) DC_DISPATCH(out, dropout, out, contiguous(x), threshold(p), scale_of(p), seed, offset);
  return {out, seed, offset};
}

Array dropout_backward(const Array& grad, double p, uint64_t seed, uint64_t offset) {
  check_input("dropout_backward", grad);
  check_p("dropout_backward", p);
  Array out = Array::empty(grad.shape(), grad.dtype(), grad.device());
  if (out.numel() > 0)
    DC_DISPATCH(out, dropout, out, contiguous(grad), threshold(p), scale_of(p), seed, offset);
  return out;
}

}  // namespace dc
