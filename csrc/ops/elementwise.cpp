// Checks and dispatch for the elementwise ops (see elementwise.h).
#include "ops/elementwise.h"
#include <cmath>
#include "cuda/elementwise.h"
#include "cpu/elementwise.h"
#include "ops/checks.h"
#include "ops/creation.h"

namespace dc {

DType promote_types(const char* op, DType a, DType b) {
  if (a == b) return a;
  if (is_floating(a) && is_floating(b))
    fail<TypeError>(op, ": mixed dtypes float32 and float64 are not promoted; convert one "
                        "operand with .float() or .double()");
  return static_cast<int>(a) > static_cast<int>(b) ? a : b;
}

void check_same_device(const char* op, const Array& a, const Array& b) {
  if (a.device() != b.device())
    fail<RuntimeError>(op, ": expected all tensors to be on the same device, but found '",
                       a.device().str(), "' and '", b.device().str(), "'");
}

Array to_dtype(const Array& a, DType dtype, bool copy) {
  if (a.dtype() == dtype && !copy) return a;
  Array out = Array::empty(a.shape(), dtype, a.device());
  DC_DISPATCH(a, copy, out, a);
  return out;
}

Array contiguous(const Array& a) {
  if (a.is_contiguous()) return a;
  return to_dtype(a, a.dtype(), /*copy=*/true);
}

void copy_(const Array& dst, const Array& src) {
  Shape b = broadcast_shapes("copy_", dst.shape(), src.shape());
  if (b != dst.shape())
    fail<ShapeError>("copy_: source of shape ", shape_str(src.shape()),
                     " cannot be broadcast to destination of shape ", shape_str(dst.shape()));
  // Across devices (as PyTorch's copy_): move the source over first, then
  // broadcast and convert on the destination's device.
  Array s = src.device() == dst.device() ? src : to_device(src, dst.device());
  dst.storage()->bump_version();
  // A source that overlaps the destination (x[1:] = x[:-1]) is copied first.
  if (s.storage() == dst.storage()) s = to_dtype(s, s.dtype(), true);
  DC_DISPATCH(dst, copy, dst, s);
}

void fill_(const Array& dst, double value) {
  dst.storage()->bump_version();
  DC_DISPATCH(dst, fill, dst, value);
}

Array scalar_array(double value, DType dtype, Device device) {
  Array out = Array::empty({}, dtype, device);
  DC_DISPATCH(out, fill, out, value);
  return out;
}

namespace {

// Runs kernel(out, a, b) with both operands converted to `dtype` (no copy when
// they already have it) and out allocated with the broadcast shape.
template <class Kernel>
Array run_broadcast(const char* op, const Array& a, const Array& b, DType compute, DType result,
                    Kernel kernel) {
  check_same_device(op, a, b);
  Array out = Array::empty(a.shape() == b.shape() ? a.shape()
                                                  : broadcast_shapes(op, a.shape(), b.shape()),
                           result, a.device());
  if (a.dtype() == compute && b.dtype() == compute) {
    kernel(out, a, b);
  } else {
    kernel(out, to_dtype(a, compute), to_dtype(b, compute));
  }
  return out;
}

Array run_binary(const char* op, BinaryOp kind, const Array& a, const Array& b, DType dtype) {
  return run_broadcast(op, a, b, dtype, dtype, [kind](const Array& o, const Array& x, const Array& y) {
    DC_DISPATCH(o, binary, kind, o, x, y);
  });
}

Array arith(const char* op, BinaryOp kind, const Array& a, const Array& b) {
  return run_binary(op, kind, a, b, promote_types(op, a.dtype(), b.dtype()));
}

Array bitwise(const char* op, BinaryOp kind, const Array& a, const Array& b) {
  DType t = promote_types(op, a.dtype(), b.dtype());
  if (is_floating(t))
    fail<TypeError>(op, ": expected bool or int64 tensors, got ", dtype_name(a.dtype()), " and ",
                    dtype_name(b.dtype()));
  return run_binary(op, kind, a, b, t);
}

Array compare(const char* op, CompareOp kind, const Array& a, const Array& b) {
  return run_broadcast(op, a, b, promote_types(op, a.dtype(), b.dtype()), DType::Bool,
                       [kind](const Array& o, const Array& x, const Array& y) {
                         DC_DISPATCH(o, compare, kind, o, x, y);
                       });
}

// Math functions compute in floating point: bool/int64 inputs become float32.
Array unary_float(const char* op, UnaryOp kind, const Array& a) {
  Array x = is_floating(a.dtype()) ? a : to_dtype(a, DType::Float32);
  Array out = Array::empty(a.shape(), x.dtype(), a.device());
  DC_DISPATCH(a, unary, kind, out, x);
  return out;
}

Array unary_same(const char* op, UnaryOp kind, const Array& a) {
  Array out = Array::empty(a.shape(), kind == UnaryOp::IsNan ? DType::Bool : a.dtype(), a.device());
  DC_DISPATCH(a, unary, kind, out, a);
  return out;
}

}  // namespace

Array add(const Array& a, const Array& b) { return arith("add", BinaryOp::Add, a, b); }
Array mul(const Array& a, const Array& b) { return arith("mul", BinaryOp::Mul, a, b); }
Array sub(const Array& a, const Array& b) {
  if (a.dtype() == DType::Bool && b.dtype() == DType::Bool)
    fail<TypeError>("sub: subtraction of two bool tensors is not supported; use ^ or logical ops");
  return arith("sub", BinaryOp::Sub, a, b);
}
Array div(const Array& a, const Array& b) {
  DType t = promote_types("div", a.dtype(), b.dtype());
  return run_binary("div", BinaryOp::Div, a, b, is_floating(t) ? t : DType::Float32);
}
Array pow(const Array& a, const Array& b) {
  DType t = promote_types("pow", a.dtype(), b.dtype());
  if (t == DType::Bool) t = DType::Int64;
  if (t == DType::Int64) {
    check_same_device("pow", a, b);
    // The host reads the exponents (a GPU exponent through a copy): this
    // check must raise before the kernel runs.
    Array e = contiguous(to_device(to_dtype(b, DType::Int64), Device{}));
    const int64_t* p = e.data<int64_t>();
    for (int64_t i = 0, n = e.numel(); i < n; ++i)
      if (p[i] < 0) fail<RuntimeError>("pow: integers to negative integer powers are not allowed (exponent ", p[i], ")");
  }
  return run_binary("pow", BinaryOp::Pow, a, b, t);
}
Array maximum(const Array& a, const Array& b) { return arith("maximum", BinaryOp::Maximum, a, b); }
Array minimum(const Array& a, const Array& b) { return arith("minimum", BinaryOp::Minimum, a, b); }
Array bitwise_and(const Array& a, const Array& b) { return bitwise("bitwise_and", BinaryOp::And, a, b); }
Array bitwise_or(const Array& a, const Array& b) { return bitwise("bitwise_or", BinaryOp::Or, a, b); }
Array bitwise_xor(const Array& a, const Array& b) { return bitwise("bitwise_xor", BinaryOp::Xor, a, b); }

Array eq(const Array& a, const Array& b) { return compare("eq", CompareOp::Eq, a, b); }
Array ne(const Array& a, const Array& b) { return compare("ne", CompareOp::Ne, a, b); }
Array lt(const Array& a, const Array& b) { return compare("lt", CompareOp::Lt, a, b); }
Array le(const Array& a, const Array& b) { return compare("le", CompareOp::Le, a, b); }
Array gt(const Array& a, const Array& b) { return compare("gt", CompareOp::Gt, a, b); }
Array ge(const Array& a, const Array& b) { return compare("ge", CompareOp::Ge, a, b); }

Array neg(const Array& a) {
  if (a.dtype() == DType::Bool)
    fail<TypeError>("neg: negation of a bool tensor is not supported; use ~ (bitwise_not)");
  return unary_same("neg", UnaryOp::Neg, a);
}
Array abs(const Array& a) {
  require_not_bool("abs", a);
  return unary_same("abs", UnaryOp::Abs, a);
}
Array relu(const Array& a) {
  require_not_bool("relu", a);
  return unary_same("relu", UnaryOp::Relu, a);
}
Array sign(const Array& a) {
  require_not_bool("sign", a);
  return unary_same("sign", UnaryOp::Sign, a);
}
Array bitwise_not(const Array& a) {
  if (is_floating(a.dtype()))
    fail<TypeError>("bitwise_not: expected a bool or int64 tensor, got ", dtype_name(a.dtype()));
  return unary_same("bitwise_not", UnaryOp::Not, a);
}
Array isnan(const Array& a) { return unary_same("isnan", UnaryOp::IsNan, a); }
Array exp(const Array& a) { return unary_float("exp", UnaryOp::Exp, a); }
Array log(const Array& a) { return unary_float("log", UnaryOp::Log, a); }
Array sqrt(const Array& a) { return unary_float("sqrt", UnaryOp::Sqrt, a); }
Array sin(const Array& a) { return unary_float("sin", UnaryOp::Sin, a); }
Array cos(const Array& a) { return unary_float("cos", UnaryOp::Cos, a); }
Array tanh(const Array& a) { return unary_float("tanh", UnaryOp::Tanh, a); }
Array sigmoid(const Array& a) { return unary_float("sigmoid", UnaryOp::Sigmoid, a); }

Array clamp(const Array& a, std::optional<double> min, std::optional<double> max) {
  require_not_bool("clamp", a);
  if (!min && !max) fail<ValueError>("clamp: at least one of min and max must be given");
  // Float bounds on an integer tensor give a float32 result, as PyTorch.
  auto integral = [](double v) { return std::isfinite(v) && std::trunc(v) == v; };
  bool frac = (min && !integral(*min)) || (max && !integral(*max));
  Array x = (!is_floating(a.dtype()) && frac) ? to_dtype(a, DType::Float32) : a;
  Array out = Array::empty(a.shape(), x.dtype(), a.device());
  DC_DISPATCH(a, clamp, out, x, min, max);
  return out;
}

Array where(const Array& cond, const Array& a, const Array& b) {
  if (cond.dtype() != DType::Bool)
    fail<TypeError>("where: condition must be a bool tensor, got ", dtype_name(cond.dtype()));
  check_same_device("where", cond, a);
  check_same_device("where", a, b);
  DType t = promote_types("where", a.dtype(), b.dtype());
  Shape shape = broadcast_shapes("where", cond.shape(),
                                 broadcast_shapes("where", a.shape(), b.shape()));
  Array out = Array::empty(shape, t, a.device());
  DC_DISPATCH(out, where, out, cond, to_dtype(a, t), to_dtype(b, t));
  return out;
}

}  // namespace dc
