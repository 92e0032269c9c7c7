// CUDA activation kernels: pointwise activations and their backward passes,
// softmax/log_softmax along a dim and their backward passes, dropout. Same
// formulas as csrc/cpu/activation.cpp.
//
// Math and cost (per element, float32 bytes; all are memory-bound on a GPU):
//   leaky_relu  y = x > 0 ? x : a x                      read 4, write 4, 2 FLOP
//   elu         y = x > 0 ? x : a expm1(x)               read 4, write 4, ~20 FLOP
//   backward    gx = g * f'(saved)                       read 8, write 4, 1-3 FLOP
//   softmax     m = max x, s = sum exp(x - m), y = exp(x - m) / s
//   log_softmax y = (x - m) - log s                      read 4 (+4 from cache), write 4
//   softmax bwd     gx = y (g - sum g y)                 read 8 (+8 from cache), write 4
//   log_softmax bwd gx = g - exp(y) sum g                idem
//   dropout     y = keep ? x / (1 - p) : 0               read 4, write 4, 1/4 Philox block
//
// Softmax layout: contiguous x viewed as (outer, n, inner), normalised along
// n (activation.cuh): inner == 1 rows of n <= 1024 take one warp each, longer
// rows one block; inner > 1 takes one thread per (outer, inner) column, so a
// warp reads 32 adjacent columns of each of the n rows (coalesced). The
// forward gets max and sum in one read (online softmax) and reads the row
// again to write y: two reads, the second mostly from L1/L2 for warp rows.
// Pointwise kernels read strided inputs through an Indexer and write a
// contiguous output; exp/expm1 are CUDA's expf/expm1f (<= 2 ulp), not the
// CPU's polynomial, so float32 results may differ from the CPU's in the last
// bits.
#include "activation.h"
#include "activation.cuh"
#include "common.cuh"
#include "core/random.h"

namespace dc::cuda {

namespace {

// ---------------------------------------------------------------- pointwise
template <class T, class F>
__global__ void unary_kernel(T* out, const T* x, Indexer ix, int64_t n, F f) {
  DC_CUDA_LOOP(i, n) out[i] = f(x[ix.offset(i)]);
}

template <class T, class F>
__global__ void binary_kernel(T* out, const T* a, Indexer ia, const T* b, Indexer ib, int64_t n,
                              F f) {
  DC_CUDA_LOOP(i, n) out[i] = f(a[ia.offset(i)], b[ib.offset(i)]);
}

template <class T> struct LeakyReluOp {
  T a;
  __device__ T operator()(T v) const { return v > T(0) ? v : v * a; }
};
template <class T> struct EluOp {
  T a;
  __device__ T operator()(T v) const { return v > T(0) ? v : a * dexpm1(v); }
};
// f(g, saved) of activation_backward.
template <class T> struct ReluGrad {  // as PyTorch's threshold_backward: NaN outputs pass g
  __device__ T operator()(T g, T y) const { return y <= T(0) ? T(0) : g; }
};
template <class T> struct SigmoidGrad {
  __device__ T operator()(T g, T y) const { return g * (T(1) - y) * y; }
};
template <class T> struct TanhGrad {
  __device__ T operator()(T g, T y) const { return g * (T(1) - y * y); }
};
template <class T> struct LeakyReluGrad {
  T a;
  __device__ T operator()(T g, T x) const { return x > T(0) ? g : g * a; }
};
template <class T> struct EluGrad {
  T a;
  __device__ T operator()(T g, T x) const { return x > T(0) ? g : g * a * dexp(x); }
};

template <class T, class F> void unary(const char* op, const Array& out, const Array& x, F f) {
  const int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard guard(out);
  unary_kernel<<<blocks_for(n), kThreads, 0, stream_of(out)>>>(out.data<T>(), x.data<T>(),
                                                              make_indexer(x, out.shape()), n, f);
  check_launch(op);
}

template <class T, class F>
void binary(const char* op, const Array& out, const Array& a, const Array& b, F f) {
  const int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard guard(out);
  binary_kernel<<<blocks_for(n), kThreads, 0, stream_of(out)>>>(
      out.data<T>(), a.data<T>(), make_indexer(a, out.shape()), b.data<T>(),
      make_indexer(b, out.shape()), n, f);
  check_launch(op);
}

// ---------------------------------------------------------------- softmax
// Row r of (outer, n, inner) starts at (r / inner) * n * inner + r % inner,
// its elements `inner` apart.
__device__ __forceinline__ int64_t row_base(int64_t r, int64_t n, int64_t inner) {
  return inner == 1 ? r * n : (r / inner) * n * inner + r % inner;
}

template <class T, class G>
__global__ void softmax_kernel(T* y, const T* x, int64_t rows, int64_t n, int64_t inner,
                               bool log) {
  const G g;
  for (int64_t r = g.first(); r < rows; r += g.step()) {
    const int64_t base = row_base(r, n, inner);
    const T* xr = x + base;
    T* yr = y + base;
    MaxSum<T> ms;
    for (int64_t j = g.rank(); j < n; j += g.size()) ms.push(xr[j * inner]);
    ms = g.merge(ms);
    if (log) {
      const T ls = dlog(ms.s);
      for (int64_t j = g.rank(); j < n; j += g.size()) yr[j * inner] = (xr[j * inner] - ms.m) - ls;
    } else {
      const T inv = T(1) / ms.s;
      for (int64_t j = g.rank(); j < n; j += g.size())
        yr[j * inner] = dexp(xr[j * inner] - ms.m) * inv;
    }
  }
}

template <class T, class G>
__global__ void softmax_backward_kernel(T* gx, const T* gy, const T* y, int64_t rows, int64_t n,
                                        int64_t inner, bool log) {
  const G g;
  for (int64_t r = g.first(); r < rows; r += g.step()) {
    const int64_t base = row_base(r, n, inner);
    const T* gr = gy + base;
    const T* yr = y + base;
    T* out = gx + base;
    T s = 0;
    for (int64_t j = g.rank(); j < n; j += g.size())
      s += log ? gr[j * inner] : gr[j * inner] * yr[j * inner];
    s = g.sum(s);
    for (int64_t j = g.rank(); j < n; j += g.size()) {
      const int64_t k = j * inner;
      out[k] = log ? gr[k] - dexp(yr[k]) * s : yr[k] * (gr[k] - s);
    }
  }
}

// ---------------------------------------------------------------- dropout
// One thread per group of 4 elements (one Philox block).
template <class T>
__global__ void dropout_kernel(T* out, const T* x, int64_t n, uint64_t threshold, T scale,
                               uint64_t seed, uint64_t offset) {
  DC_CUDA_LOOP(q, (n + 3) / 4) {
    // The CPU's Philox (core/random.h), so both devices drop the same elements.
    const auto r = Philox::block(seed, offset + static_cast<uint64_t>(q), 0);
    const int64_t i0 = 4 * q;
    for (int l = 0; l < 4 && i0 + l < n; ++l)
      out[i0 + l] = r[l] >= threshold ? x[i0 + l] * scale : T(0);
  }
}

}  // namespace

void leaky_relu(const Array& out, const Array& x, double negative_slope) {
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    unary<T>("leaky_relu", out, x, LeakyReluOp<T>{static_cast<T>(negative_slope)});
  });
}

void elu(const Array& out, const Array& x, double alpha) {
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    unary<T>("elu", out, x, EluOp<T>{static_cast<T>(alpha)});
  });
}

void activation_backward(ActGrad kind, const Array& out, const Array& grad, const Array& saved,
                         double param) {
  const char* op = "activation_backward";
  visit_floating(saved.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T a = static_cast<T>(param);
    switch (kind) {
      case ActGrad::Relu: return binary<T>(op, out, grad, saved, ReluGrad<T>{});
      case ActGrad::Sigmoid: return binary<T>(op, out, grad, saved, SigmoidGrad<T>{});
      case ActGrad::Tanh: return binary<T>(op, out, grad, saved, TanhGrad<T>{});
      case ActGrad::LeakyRelu: return binary<T>(op, out, grad, saved, LeakyReluGrad<T>{a});
      case ActGrad::Elu: return binary<T>(op, out, grad, saved, EluGrad<T>{a});
    }
  });
}

void softmax(const Array& out, const Array& x, int64_t outer, int64_t n, int64_t inner, bool log) {
  const int64_t rows = outer * inner;
  if (rows == 0 || n == 0) return;
  DeviceGuard guard(out);
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    launch_rows(rows, n, inner, [&](auto group, dim3 grid, dim3 block) {
      softmax_kernel<T, decltype(group)><<<grid, block, 0, stream_of(out)>>>(
          out.data<T>(), x.data<T>(), rows, n, inner, log);
    });
  });
  check_launch(log ? "log_softmax" : "softmax");
}

void softmax_backward(const Array& out, const Array& g, const Array& y, int64_t outer, int64_t n,
                      int64_t inner, bool log) {
  const int64_t rows = outer * inner;
  if (rows == 0 || n == 0) return;
  DeviceGuard guard(out);
  visit_floating(y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    launch_rows(rows, n, inner, [&](auto group, dim3 grid, dim3 block) {
      softmax_backward_kernel<T, decltype(group)><<<grid, block, 0, stream_of(out)>>>(
          out.data<T>(), g.data<T>(), y.data<T>(), rows, n, inner, log);
    });
  });
  check_launch(log ? "log_softmax_backward" : "softmax_backward");
}

void dropout(const Array& out, const Array& x, uint64_t threshold, double scale, uint64_t seed,
             uint64_t offset) {
  const int64_t n = x.numel();
  if (n == 0) return;
  DeviceGuard guard(out);
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    dropout_kernel<<<blocks_for((n + 3) / 4), kThreads, 0, stream_of(out)>>>(
        out.data<T>(), x.data<T>(), n, threshold, static_cast<T>(scale), seed, offset);
  });
  check_launch("dropout");
}

}  // namespace dc::cuda
