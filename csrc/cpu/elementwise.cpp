// CPU elementwise kernels: one functor per op, instantiated per dtype by
// visit_dtype, run by the strided loops of loops.h. These are memory-bound:
// the contiguous paths compile to plain vectorisable loops.
#include "cpu/elementwise.h"
#include <cmath>
#include <type_traits>
#include "cpu/activation.h"
#include "cpu/loops.h"

namespace dc::cpu {

namespace {

template <class T> bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(v);
  else return false;
}

// exp >= 0, checked by the op. Unsigned products wrap on overflow (signed
// overflow is undefined), as the GPU kernel does.
template <class T> T int_pow(T base, T exp) {
  uint64_t b = static_cast<uint64_t>(base), result = 1;
  while (exp > 0) {
    if (exp & 1) result *= b;
    b *= b;
    exp >>= 1;
  }
  return static_cast<T>(result);
}

template <class T>
void binary_typed(BinaryOp op, const Array& out, const Array& a, const Array& b) {
  switch (op) {
    case BinaryOp::Add:
      if constexpr (std::is_same_v<T, bool>) return binary_loop<T, T>(out, a, b, [](T x, T y) -> T { return x || y; });
      else return binary_loop<T, T>(out, a, b, [](T x, T y) -> T { return x + y; });
    case BinaryOp::Sub: return binary_loop<T, T>(out, a, b, [](T x, T y) -> T { return x - y; });
    case BinaryOp::Mul:
      if constexpr (std::is_same_v<T, bool>) return binary_loop<T, T>(out, a, b, [](T x, T y) -> T { return x && y; });
      else return binary_loop<T, T>(out, a, b, [](T x, T y) -> T { return x * y; });
    case BinaryOp::Div: return binary_loop<T, T>(out, a, b, [](T x, T y) -> T { return x / y; });
    case BinaryOp::Pow:
      if constexpr (std::is_floating_point_v<T>)
        return binary_loop<T, T>(out, a, b, [](T x, T y) -> T { return std::pow(x, y); });
      else if constexpr (std::is_same_v<T, int64_t>)
        return binary_loop<T, T>(out, a, b, [](T x, T y) -> T { return int_pow(x, y); });
      else return;
    case BinaryOp::Maximum:
      return binary_loop<T, T>(out, a, b, [](T x, T y) -> T {
        return is_nan(x) ? x : is_nan(y) ? y : (x > y ? x : y);
      });
    case BinaryOp::Minimum:
      return binary_loop<T, T>(out, a, b, [](T x, T y) -> T {
        return is_nan(x) ? x : is_nan(y) ? y : (x < y ? x : y);
      });
    case BinaryOp::And:
    case BinaryOp::Or:
    case BinaryOp::Xor:
      if constexpr (std::is_integral_v<T>) {
        if (op == BinaryOp::And) return binary_loop<T, T>(out, a, b, [](T x, T y) -> T { return x & y; });
        if (op == BinaryOp::Or) return binary_loop<T, T>(out, a, b, [](T x, T y) -> T { return x | y; });
        return binary_loop<T, T>(out, a, b, [](T x, T y) -> T { return x ^ y; });
      }
      return;
  }
}

template <class T>
void compare_typed(CompareOp op, const Array& out, const Array& a, const Array& b) {
  switch (op) {
    case CompareOp::Eq: return binary_loop<bool, T>(out, a, b, [](T x, T y) { return x == y; });
    case CompareOp::Ne: return binary_loop<bool, T>(out, a, b, [](T x, T y) { return x != y; });
    case CompareOp::Lt: return binary_loop<bool, T>(out, a, b, [](T x, T y) { return x < y; });
    case CompareOp::Le: return binary_loop<bool, T>(out, a, b, [](T x, T y) { return x <= y; });
    case CompareOp::Gt: return binary_loop<bool, T>(out, a, b, [](T x, T y) { return x > y; });
    case CompareOp::Ge: return binary_loop<bool, T>(out, a, b, [](T x, T y) { return x >= y; });
  }
}

// float32 exp, log, sigmoid and tanh (cpu/activation.h) over contiguous
// rows, also compiled for AVX2 and AVX-512 (unary_loop_isa): with AVX-512 8x,
// 6x, 22x and 27x faster than the C library's per-element calls
// (docs/benchmarks.md). F is a template argument, so it is inlined.
template <float (*F)(float)>
struct MapRun {
  template <class T>
  static void run(T* o, const T* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) o[i] = F(x[i]);
  }
};

template <class T>
void unary_typed(UnaryOp op, const Array& out, const Array& a) {
  if constexpr (std::is_floating_point_v<T>) {
    switch (op) {
      case UnaryOp::Exp:
        if constexpr (std::is_same_v<T, float>) return unary_loop_isa<MapRun<&exp_f32>, T>(out, a, &exp_f32);
        else return unary_loop<T, T>(out, a, [](T x) -> T { return std::exp(x); });
      case UnaryOp::Log:
        if constexpr (std::is_same_v<T, float>) return unary_loop_isa<MapRun<&log_f32>, T>(out, a, &log_f32);
        else return unary_loop<T, T>(out, a, [](T x) -> T { return std::log(x); });
      case UnaryOp::Sqrt: return unary_loop<T, T>(out, a, [](T x) -> T { return std::sqrt(x); });
      case UnaryOp::Sin: return unary_loop<T, T>(out, a, [](T x) -> T { return std::sin(x); });
      case UnaryOp::Cos: return unary_loop<T, T>(out, a, [](T x) -> T { return std::cos(x); });
      case UnaryOp::Tanh:
        if constexpr (std::is_same_v<T, float>) return unary_loop_isa<MapRun<&tanh_f32>, T>(out, a, &tanh_f32);
        else return unary_loop<T, T>(out, a, [](T x) -> T { return std::tanh(x); });
      case UnaryOp::Sigmoid:
        if constexpr (std::is_same_v<T, float>) return unary_loop_isa<MapRun<&sigmoid_f32>, T>(out, a, &sigmoid_f32);
        // Split by sign so exp never overflows: both branches are in (0, 1].
        else return unary_loop<T, T>(out, a, [](T x) -> T {
          if (x >= 0) return T(1) / (T(1) + std::exp(-x));
          T e = std::exp(x);
          return e / (T(1) + e);
        });
      case UnaryOp::IsNan: return unary_loop<bool, T>(out, a, [](T x) { return std::isnan(x); });
      default: break;
    }
  }
  switch (op) {
    case UnaryOp::Neg:
      if constexpr (!std::is_same_v<T, bool>) return unary_loop<T, T>(out, a, [](T x) -> T { return -x; });
      return;
    case UnaryOp::Abs:
      if constexpr (!std::is_same_v<T, bool>) return unary_loop<T, T>(out, a, [](T x) -> T { return x < 0 ? -x : x; });
      return;
    case UnaryOp::Relu:
      return unary_loop<T, T>(out, a, [](T x) -> T { return is_nan(x) ? x : (x > T(0) ? x : T(0)); });
    case UnaryOp::Sign:
      return unary_loop<T, T>(out, a, [](T x) -> T { return is_nan(x) ? x : T((T(0) < x) - (x < T(0))); });
    case UnaryOp::Not:
      if constexpr (std::is_same_v<T, bool>) return unary_loop<T, T>(out, a, [](T x) -> T { return !x; });
      else if constexpr (std::is_integral_v<T>) return unary_loop<T, T>(out, a, [](T x) -> T { return ~x; });
      return;
    case UnaryOp::IsNan:
      return unary_loop<bool, T>(out, a, [](T) { return false; });
    default: return;
  }
}

}  // namespace

void binary(BinaryOp op, const Array& out, const Array& a, const Array& b) {
  visit_dtype(out.dtype(), [&](auto t) { binary_typed<decltype(t)>(op, out, a, b); });
}

void compare(CompareOp op, const Array& out, const Array& a, const Array& b) {
  visit_dtype(a.dtype(), [&](auto t) { compare_typed<decltype(t)>(op, out, a, b); });
}

void unary(UnaryOp op, const Array& out, const Array& a) {
  visit_dtype(a.dtype(), [&](auto t) { unary_typed<decltype(t)>(op, out, a); });
}

void clamp(const Array& out, const Array& a, std::optional<double> lo, std::optional<double> hi) {
  visit_dtype(a.dtype(), [&](auto t) {
    using T = decltype(t);
    const bool has_lo = lo.has_value(), has_hi = hi.has_value();
    const T l = has_lo ? static_cast<T>(*lo) : T(0), h = has_hi ? static_cast<T>(*hi) : T(0);
    unary_loop<T, T>(out, a, [=](T x) -> T {
      if (has_lo && x < l) x = l;  // comparisons with NaN are false: NaN passes through
      if (has_hi && x > h) x = h;
      return x;
    });
  });
}

void where(const Array& out, const Array& cond, const Array& a, const Array& b) {
  visit_dtype(out.dtype(), [&](auto t) {
    using T = decltype(t);
    auto L = make_loop<4>({&out, &cond, &a, &b});
    for_each_row(L, [&](const std::array<char*, 4>& p, const std::array<int64_t, 4>& s, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        bool c = *reinterpret_cast<const bool*>(p[1] + i * s[1]);
        *reinterpret_cast<T*>(p[0] + i * s[0]) =
            c ? *reinterpret_cast<const T*>(p[2] + i * s[2]) : *reinterpret_cast<const T*>(p[3] + i * s[3]);
      }
    });
  });
}

void copy(const Array& out, const Array& a) {
  visit_dtype(out.dtype(), [&](auto to) {
    using Out = decltype(to);
    visit_dtype(a.dtype(), [&](auto from) {
      using In = decltype(from);
      unary_loop<Out, In>(out, a, [](In x) -> Out {
        if constexpr (std::is_same_v<Out, bool>) return x != In(0);
        else return static_cast<Out>(x);
      });
    });
  });
}

void fill(const Array& out, double value) {
  visit_dtype(out.dtype(), [&](auto t) {
    using T = decltype(t);
    const T v = static_cast<T>(value);
    auto L = make_loop<1>({&out});
    for_each_row(L, [&](const std::array<char*, 1>& p, const std::array<int64_t, 1>& s, int64_t n) {
      for (int64_t i = 0; i < n; ++i) *reinterpret_cast<T*>(p[0] + i * s[0]) = v;
    });
  });
}

void arange(const Array& out, double start, double step) {
  visit_dtype(out.dtype(), [&](auto t) {
    using T = decltype(t);
    T* p = out.data<T>();
    for (int64_t i = 0, n = out.numel(); i < n; ++i)
      p[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
}

}  // namespace dc::cpu
