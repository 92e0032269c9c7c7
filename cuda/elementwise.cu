// GPU elementwise kernels: arithmetic, comparisons, math, clamp, where,
// converting copies, fill and arange.
//
// Math and cost: out[i] = f(a[i], b[i], ...) with at most a few FLOP per
// element (exp/log/sin/... are ~10-40 instructions), so every kernel here is
// memory-bound: a float32 binary op moves 12 bytes per element (read 4 + 4,
// write 4), a copy 8, a fill 4; at an H100's ~3 TB/s that is ~0.25 ns per
// element for a binary op, and the goal is to run at that bandwidth.
//
// One functor per op (the formulas of cpu/elementwise.cpp, same NaN and
// integer rules; __host__ __device__, so they can be checked on the host
// against the CPU kernels), instantiated per dtype, run by one of two launchers:
//  - map_vec: every operand contiguous (or a single broadcast value) and
//    aligned: each thread moves 16 bytes of the widest operand per access
//    (float4-sized packs: 4 floats, 2 doubles, 16 bools), the tail of fewer
//    than V elements by single loads.
//  - map_strided: any view (transposed, sliced, broadcast by stride 0): the
//    Indexer of common.cuh turns the output's linear index into each
//    operand's offset (a div/mod per dim; contiguous operands skip it).
#include <algorithm>
#include <array>
#include <cstdint>
#include <type_traits>
#include <utility>
#include "common.cuh"
#include "elementwise.h"

namespace dc::cuda {

namespace {

constexpr int kVecBytes = 16;

template <class T, int V>
struct alignas(sizeof(T) * V) Pack {
  T v[V];
};

// A strided operand: element i of the output reads p[ix.offset(i)].
template <class T>
struct Operand {
  const T* p;
  Indexer ix;
  __host__ __device__ T at(int64_t i) const { return p[ix.offset(i)]; }
};

// A contiguous operand, or one value broadcast to every element.
template <class T>
struct Flat {
  const T* p;
  bool scalar;
  __host__ __device__ T at(int64_t i) const { return p[scalar ? 0 : i]; }
};

// V lanes of a Flat operand starting at element j * V.
template <class T, int V>
struct Lanes {
  T v[V];
  __host__ __device__ Lanes(const Flat<T>& in, int64_t j) {
    if (in.scalar) {
      T s = in.p[0];
#pragma unroll
      for (int k = 0; k < V; ++k) v[k] = s;
    } else {
      Pack<T, V> pk = reinterpret_cast<const Pack<T, V>*>(in.p)[j];
#pragma unroll
      for (int k = 0; k < V; ++k) v[k] = pk.v[k];
    }
  }
};

template <int V, class Out, class F, class... L>
__host__ __device__ void apply_lanes(Pack<Out, V>& r, const F& f, const L&... lanes) {
#pragma unroll
  for (int k = 0; k < V; ++k) r.v[k] = f(lanes.v[k]...);
}

template <int V, class Out, class F, class... Ins>
__global__ void map_vec(Out* out, int64_t nvec, int64_t n, F f, Flat<Ins>... ins) {
  DC_CUDA_LOOP(j, nvec) {
    Pack<Out, V> r;
    apply_lanes<V>(r, f, Lanes<Ins, V>(ins, j)...);
    reinterpret_cast<Pack<Out, V>*>(out)[j] = r;
  }
  int64_t t = nvec * V + static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t < n) out[t] = f(ins.at(t)...);
}

template <class Out, class F, class... Ins>
__global__ void map_strided(Out* out, Indexer ox, int64_t n, F f, Operand<Ins>... ins) {
  DC_CUDA_LOOP(i, n) out[ox.offset(i)] = f(ins.at(i)...);
}

// Host side: an input array read as element type T.
template <class T>
struct Src {
  const Array& a;
};
template <class T> Src<T> src(const Array& a) { return {a}; }

// Elements per 16-byte access of the widest operand.
template <class Out, class... Ins>
constexpr int vec_width() {
  return kVecBytes / static_cast<int>(std::max({sizeof(Out), sizeof(Ins)...}));
}

bool aligned(const void* p, size_t bytes) { return reinterpret_cast<uintptr_t>(p) % bytes == 0; }

// Indexers for the output and each input over the output's shape, with the
// dims merged where every operand is contiguous across them (as cpu/loops.h):
// a contiguous op becomes 1-d (no divisions), a broadcast row add 2-d, and
// views of any rank work as long as at most kMaxDims dims remain.
template <size_t N>
std::array<Indexer, N> coalesced_indexers(const char* op, const Shape& shape,
                                          const std::array<const Array*, N>& ops) {
  std::array<Indexer, N> ix{};
  const int nd = static_cast<int>(shape.size());
  int m = 0;
  for (int d = 0; d < nd; ++d) {
    if (shape[d] == 1) continue;
    std::array<int64_t, N> st;
    for (size_t k = 0; k < N; ++k) {
      const Array& a = *ops[k];
      int ad = d - (nd - static_cast<int>(a.ndim()));
      st[k] = (ad < 0 || a.shape()[ad] == 1) ? 0 : a.strides()[ad];
    }
    bool merge = m > 0;
    for (size_t k = 0; k < N && merge; ++k) merge = ix[k].strides[m - 1] == st[k] * shape[d];
    if (merge) {
      for (size_t k = 0; k < N; ++k) {
        ix[k].sizes[m - 1] *= shape[d];
        ix[k].strides[m - 1] = st[k];
      }
      continue;
    }
    if (m == kMaxDims)
      fail<NotImplementedError>(op, ": on the GPU, operands of shape ", shape_str(shape),
                                " whose strides leave more than ", kMaxDims,
                                " dims after merging contiguous ones are not supported");
    for (size_t k = 0; k < N; ++k) {
      ix[k].sizes[m] = shape[d];
      ix[k].strides[m] = st[k];
    }
    ++m;
  }
  for (size_t k = 0; k < N; ++k) {
    ix[k].ndim = m;
    // Row-major over the merged dims: offset(i) == i, no divisions (e.g. the
    // output and the full operand of a broadcast row add).
    int64_t expect = 1;
    ix[k].contiguous = true;
    for (int d = m - 1; d >= 0; --d) {
      ix[k].contiguous = ix[k].contiguous && ix[k].strides[d] == expect;
      expect *= ix[k].sizes[d];
    }
    // A single element is read at offset 0 whatever its strides.
    if (ops[k]->numel() == 1 && k > 0) {
      ix[k].ndim = 0;
      ix[k].contiguous = false;
    }
  }
  return ix;
}

// How map runs: the operands' indexers, and whether the vectorised path
// applies (every operand contiguous, or one value, and aligned to V elements).
template <size_t N>
struct Plan {
  std::array<Indexer, N> ix;
  bool flat;
};

template <class Out, class... Ins, size_t... I>
Plan<1 + sizeof...(Ins)> plan(const char* op, const Array& out, std::index_sequence<I...>, Src<Ins>... ins) {
  constexpr int V = vec_width<Out, Ins...>();
  Plan<1 + sizeof...(Ins)> p{coalesced_indexers<1 + sizeof...(Ins)>(op, out.shape(), {&out, &ins.a...}), false};
  p.flat = p.ix[0].contiguous && aligned(out.data_ptr(), sizeof(Out) * V) &&
           ((ins.a.numel() == 1 ||
             (p.ix[I + 1].contiguous && aligned(ins.a.data_ptr(), sizeof(Ins) * V))) && ...);
  return p;
}

template <class Out, class F, class... Ins, size_t... I>
void map_impl(const char* op, const Array& out, F f, std::index_sequence<I...> seq, Src<Ins>... ins) {
  const int64_t n = out.numel();
  if (n == 0) return;
  constexpr int V = vec_width<Out, Ins...>();
  auto p = plan<Out>(op, out, seq, ins...);
  DeviceGuard guard(out);
  cudaStream_t stream = stream_of(out);
  if (p.flat) {
    int64_t nvec = n / V;
    map_vec<V, Out><<<blocks_for(std::max<int64_t>(nvec, 1)), kThreads, 0, stream>>>(
        out.data<Out>(), nvec, n, f, Flat<Ins>{ins.a.template data<Ins>(), ins.a.numel() == 1}...);
  } else {
    map_strided<Out><<<blocks_for(n), kThreads, 0, stream>>>(
        out.data<Out>(), p.ix[0], n, f, Operand<Ins>{ins.a.template data<Ins>(), p.ix[I + 1]}...);
  }
  check_launch(op);
}

// out[i] = f(ins[i]...) over out's shape, inputs broadcast to it.
template <class Out, class F, class... Ins>
void map(const char* op, const Array& out, F f, Src<Ins>... ins) {
  map_impl<Out>(op, out, f, std::index_sequence_for<Ins...>{}, ins...);
}

// ---------------------------------------------------------------- functors
template <class T> __host__ __device__ bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return v != v;
  else return false;
}

template <BinaryOp Op, class T>
struct BinaryF {
  static constexpr bool valid =
      (Op == BinaryOp::Div) ? std::is_floating_point_v<T>
      : (Op == BinaryOp::Pow) ? !std::is_same_v<T, bool>
      : (Op == BinaryOp::And || Op == BinaryOp::Or || Op == BinaryOp::Xor) ? std::is_integral_v<T>
      : true;

  __host__ __device__ T operator()(T x, T y) const {
    if constexpr (Op == BinaryOp::Add) {
      if constexpr (std::is_same_v<T, bool>) return x || y;
      else return x + y;
    } else if constexpr (Op == BinaryOp::Sub) {
      return static_cast<T>(x - y);
    } else if constexpr (Op == BinaryOp::Mul) {
      if constexpr (std::is_same_v<T, bool>) return x && y;
      else return x * y;
    } else if constexpr (Op == BinaryOp::Div) {
      return x / y;
    } else if constexpr (Op == BinaryOp::Pow) {
      if constexpr (std::is_floating_point_v<T>) {
        return std::pow(x, y);
      } else {  // y >= 0, checked by the op; wraps on overflow as the CPU loop
        uint64_t base = static_cast<uint64_t>(x), result = 1;
        for (int64_t e = y; e > 0; e >>= 1) {
          if (e & 1) result *= base;
          base *= base;
        }
        return static_cast<T>(result);
      }
    } else if constexpr (Op == BinaryOp::Maximum) {
      return is_nan(x) ? x : is_nan(y) ? y : (x > y ? x : y);
    } else if constexpr (Op == BinaryOp::Minimum) {
      return is_nan(x) ? x : is_nan(y) ? y : (x < y ? x : y);
    } else if constexpr (Op == BinaryOp::And) {
      return static_cast<T>(x & y);
    } else if constexpr (Op == BinaryOp::Or) {
      return static_cast<T>(x | y);
    } else {
      return static_cast<T>(x ^ y);
    }
  }
};

template <CompareOp Op, class T>
struct CompareF {
  __host__ __device__ bool operator()(T x, T y) const {
    if constexpr (Op == CompareOp::Eq) return x == y;
    else if constexpr (Op == CompareOp::Ne) return x != y;
    else if constexpr (Op == CompareOp::Lt) return x < y;
    else if constexpr (Op == CompareOp::Le) return x <= y;
    else if constexpr (Op == CompareOp::Gt) return x > y;
    else return x >= y;
  }
};

template <UnaryOp Op, class T>
struct UnaryF {
  static constexpr bool floating_only =
      Op == UnaryOp::Exp || Op == UnaryOp::Log || Op == UnaryOp::Sqrt || Op == UnaryOp::Sin ||
      Op == UnaryOp::Cos || Op == UnaryOp::Tanh || Op == UnaryOp::Sigmoid;
  static constexpr bool valid =
      floating_only ? std::is_floating_point_v<T>
      : (Op == UnaryOp::Neg || Op == UnaryOp::Abs) ? !std::is_same_v<T, bool>
      : (Op == UnaryOp::Not) ? std::is_integral_v<T>
      : true;
  using Out = std::conditional_t<Op == UnaryOp::IsNan, bool, T>;

  __host__ __device__ Out operator()(T x) const {
    if constexpr (Op == UnaryOp::Neg) return -x;
    else if constexpr (Op == UnaryOp::Abs) return x < 0 ? -x : x;
    else if constexpr (Op == UnaryOp::Exp) return std::exp(x);
    else if constexpr (Op == UnaryOp::Log) return std::log(x);
    else if constexpr (Op == UnaryOp::Sqrt) return std::sqrt(x);
    else if constexpr (Op == UnaryOp::Sin) return std::sin(x);
    else if constexpr (Op == UnaryOp::Cos) return std::cos(x);
    else if constexpr (Op == UnaryOp::Tanh) return std::tanh(x);
    else if constexpr (Op == UnaryOp::Sigmoid) {
      // Split by sign so exp never overflows: both branches are in (0, 1].
      if (x >= 0) return T(1) / (T(1) + std::exp(-x));
      T e = std::exp(x);
      return e / (T(1) + e);
    } else if constexpr (Op == UnaryOp::Relu) {
      return is_nan(x) ? x : (x > T(0) ? x : T(0));
    } else if constexpr (Op == UnaryOp::Sign) {
      return is_nan(x) ? x : T((T(0) < x) - (x < T(0)));
    } else if constexpr (Op == UnaryOp::Not) {
      if constexpr (std::is_same_v<T, bool>) return !x;
      else return ~x;
    } else {
      return is_nan(x);
    }
  }
};

template <class T>
struct ClampF {
  bool has_lo, has_hi;
  T lo, hi;
  __host__ __device__ T operator()(T x) const {
    if (has_lo && x < lo) x = lo;  // comparisons with NaN are false: NaN passes through
    if (has_hi && x > hi) x = hi;
    return x;
  }
};

template <class T>
struct WhereF {
  __host__ __device__ T operator()(bool c, T x, T y) const { return c ? x : y; }
};

template <class Out, class In>
struct CastF {
  __host__ __device__ Out operator()(In x) const {
    if constexpr (std::is_same_v<Out, bool>) return x != In(0);
    else return static_cast<Out>(x);
  }
};

template <class T>
struct FillF {
  T v;
  __host__ __device__ T operator()() const { return v; }
};

template <class T>
__global__ void arange_kernel(T* out, int64_t n, double start, double step) {
  // Explicit rounding: no fused multiply-add, so values equal the CPU's.
  DC_CUDA_LOOP(i, n) out[i] = static_cast<T>(__dadd_rn(start, __dmul_rn(static_cast<double>(i), step)));
}

// Calls f(std::integral_constant<E, op>) so that a run-time op picks a template.
template <class F>
void visit_op(BinaryOp op, F&& f) {
  using E = BinaryOp;
  switch (op) {
    case E::Add: return f(std::integral_constant<E, E::Add>{});
    case E::Sub: return f(std::integral_constant<E, E::Sub>{});
    case E::Mul: return f(std::integral_constant<E, E::Mul>{});
    case E::Div: return f(std::integral_constant<E, E::Div>{});
    case E::Pow: return f(std::integral_constant<E, E::Pow>{});
    case E::Maximum: return f(std::integral_constant<E, E::Maximum>{});
    case E::Minimum: return f(std::integral_constant<E, E::Minimum>{});
    case E::And: return f(std::integral_constant<E, E::And>{});
    case E::Or: return f(std::integral_constant<E, E::Or>{});
    case E::Xor: return f(std::integral_constant<E, E::Xor>{});
  }
}

template <class F>
void visit_op(CompareOp op, F&& f) {
  using E = CompareOp;
  switch (op) {
    case E::Eq: return f(std::integral_constant<E, E::Eq>{});
    case E::Ne: return f(std::integral_constant<E, E::Ne>{});
    case E::Lt: return f(std::integral_constant<E, E::Lt>{});
    case E::Le: return f(std::integral_constant<E, E::Le>{});
    case E::Gt: return f(std::integral_constant<E, E::Gt>{});
    case E::Ge: return f(std::integral_constant<E, E::Ge>{});
  }
}

template <class F>
void visit_op(UnaryOp op, F&& f) {
  using E = UnaryOp;
  switch (op) {
    case E::Neg: return f(std::integral_constant<E, E::Neg>{});
    case E::Abs: return f(std::integral_constant<E, E::Abs>{});
    case E::Exp: return f(std::integral_constant<E, E::Exp>{});
    case E::Log: return f(std::integral_constant<E, E::Log>{});
    case E::Sqrt: return f(std::integral_constant<E, E::Sqrt>{});
    case E::Sin: return f(std::integral_constant<E, E::Sin>{});
    case E::Cos: return f(std::integral_constant<E, E::Cos>{});
    case E::Tanh: return f(std::integral_constant<E, E::Tanh>{});
    case E::Sigmoid: return f(std::integral_constant<E, E::Sigmoid>{});
    case E::Relu: return f(std::integral_constant<E, E::Relu>{});
    case E::Sign: return f(std::integral_constant<E, E::Sign>{});
    case E::Not: return f(std::integral_constant<E, E::Not>{});
    case E::IsNan: return f(std::integral_constant<E, E::IsNan>{});
  }
}

// Names for error messages, as the ops in csrc/ops/elementwise.cpp call them.
const char* op_name(BinaryOp op) {
  constexpr const char* names[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum",
                                   "bitwise_and", "bitwise_or", "bitwise_xor"};
  return names[static_cast<int>(op)];
}
const char* op_name(CompareOp op) {
  constexpr const char* names[] = {"eq", "ne", "lt", "le", "gt", "ge"};
  return names[static_cast<int>(op)];
}
const char* op_name(UnaryOp op) {
  constexpr const char* names[] = {"neg", "abs", "exp", "log", "sqrt", "sin", "cos", "tanh",
                                   "sigmoid", "relu", "sign", "bitwise_not", "isnan"};
  return names[static_cast<int>(op)];
}

// The ops in csrc/ops reject these dtype/op pairs before any kernel runs.
[[noreturn]] void unsupported(const char* what, DType t) {
  fail<TypeError>(what, ": not supported for dtype ", dtype_name(t));
}

}  // namespace

void binary(BinaryOp op, const Array& out, const Array& a, const Array& b) {
  visit_dtype(out.dtype(), [&](auto t) {
    using T = decltype(t);
    visit_op(op, [&](auto k) {
      using F = BinaryF<decltype(k)::value, T>;
      if constexpr (F::valid) map<T>(op_name(op), out, F{}, src<T>(a), src<T>(b));
      else unsupported(op_name(op), out.dtype());
    });
  });
}

void compare(CompareOp op, const Array& out, const Array& a, const Array& b) {
  visit_dtype(a.dtype(), [&](auto t) {
    using T = decltype(t);
    visit_op(op, [&](auto k) { map<bool>(op_name(op), out, CompareF<decltype(k)::value, T>{}, src<T>(a), src<T>(b)); });
  });
}

void unary(UnaryOp op, const Array& out, const Array& a) {
  visit_dtype(a.dtype(), [&](auto t) {
    using T = decltype(t);
    visit_op(op, [&](auto k) {
      using F = UnaryF<decltype(k)::value, T>;
      if constexpr (F::valid) map<typename F::Out>(op_name(op), out, F{}, src<T>(a));
      else unsupported(op_name(op), a.dtype());
    });
  });
}

void clamp(const Array& out, const Array& a, std::optional<double> lo, std::optional<double> hi) {
  visit_dtype(a.dtype(), [&](auto t) {
    using T = decltype(t);
    ClampF<T> f{lo.has_value(), hi.has_value(), lo ? static_cast<T>(*lo) : T(0),
                hi ? static_cast<T>(*hi) : T(0)};
    map<T>("clamp", out, f, src<T>(a));
  });
}

void where(const Array& out, const Array& cond, const Array& a, const Array& b) {
  visit_dtype(out.dtype(), [&](auto t) {
    using T = decltype(t);
    map<T>("where", out, WhereF<T>{}, src<bool>(cond), src<T>(a), src<T>(b));
  });
}

void copy(const Array& out, const Array& a) {
  visit_dtype(out.dtype(), [&](auto to) {
    using Out = decltype(to);
    visit_dtype(a.dtype(), [&](auto from) {
      using In = decltype(from);
      map<Out>("copy", out, CastF<Out, In>{}, src<In>(a));
    });
  });
}

void fill(const Array& out, double value) {
  visit_dtype(out.dtype(), [&](auto t) {
    using T = decltype(t);
    map<T>("fill", out, FillF<T>{static_cast<T>(value)});
  });
}

void arange(const Array& out, double start, double step) {
  int64_t n = out.numel();
  if (n == 0) return;
  visit_dtype(out.dtype(), [&](auto t) {
    using T = decltype(t);
    DeviceGuard guard(out);
    arange_kernel<T><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(out.data<T>(), n, start, step);
    check_launch("arange");
  });
}

}  // namespace dc::cuda
