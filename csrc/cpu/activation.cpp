// CPU activation kernels: pointwise activations and their backward passes,
// softmax/log_softmax along a dim and their backward passes, dropout.
//
// Math and cost (per element, float32 bytes; all are memory-bound):
//   leaky_relu  y = x > 0 ? x : a x                      read 4, write 4, 2 FLOP
//   elu         y = x > 0 ? x : a expm1(x)               read 4, write 4, ~25 FLOP
//   backward    gx = g * f'(saved)                       read 8, write 4, 1-3 FLOP
//               (relu: out > 0; sigmoid: y (1 - y); tanh: 1 - y^2;
//                leaky_relu: x > 0 ? 1 : a; elu: x > 0 ? 1 : a exp(x))
//   softmax     m = max x, s = sum exp(x - m), y = exp(x - m) / s
//   log_softmax y = (x - m) - log s                      read 4, write 4 (the row
//               is re-read from cache), ~25 FLOP for exp
//   softmax bwd     gx = y (g - sum g y)                 read 8, write 4
//   log_softmax bwd gx = g - exp(y) sum g                read 8, write 4
//   dropout     y = keep ? x / (1 - p) : 0               read 4, write 4, 1/4 Philox
// exp is the branch-free float32 exp of activation.h (vectorised); selects
// are bit blends (see select()) so that the loops vectorise. The softmax
// kernels also have AVX2+FMA and AVX-512 copies chosen at run time (cpu/isa.h;
// AVX-512 only for rows it suits, widest_for_rows).
//
// Measured 2026-11-25 (shared 2-core AMD EPYC VM, float32, bench/activations.py,
// best of 9; PyTorch 2.13 CPU in the same run): (512, 1000) in cache, softmax
// fwd 0.34 ms (0.66 ns/elem, 1.65x faster than PyTorch), exp-bound; the
// portable SSE2 loops were 3x slower. (16384, 1000) = 64 MiB: softmax fwd
// 4.7 GB/s at 1 thread and 8.5 GB/s at 2 (PyTorch 1.4 / 2.4), counting 8 B
// per element; about 9 ms of the 28 ms at 1 thread are the first-touch page
// faults of the freshly allocated output (a fill of an existing 64 MiB
// buffer takes 12 ms, of a new one 21 ms). The numpy copy bandwidth of the
// same run is 8.4 GB/s per thread. Dropout: ~5 ns/elem (scalar Philox; 4-5x
// faster than PyTorch's, which draws a bernoulli tensor).
//
// Softmax layout: contiguous x viewed as (outer, n, inner), normalised along n.
// inner == 1 (the last dim, the common case) runs row by row: a row is read
// from memory once for the max and then from L1/L2 for the exp pass. inner > 1
// (a channel dim) runs on tiles of kTile columns: each pass over the n rows of
// a tile is a contiguous loop across the columns, so it vectorises too.
// Threads split rows/tiles; each row's sums are computed by one thread in a
// fixed order, so results do not depend on the thread count.
#include "cpu/activation.h"
#include <algorithm>
#include <cmath>
#include <limits>
#include "core/random.h"
#include "core/threads.h"
#include "cpu/loops.h"

namespace dc::cpu {

namespace {

constexpr int64_t kTile = 256;  // columns per tile on the inner > 1 path
template <class T> constexpr T neg_inf() { return -std::numeric_limits<T>::infinity(); }

template <class T> void softmax_row(T* y, const T* x, int64_t n, bool log) {
  const T m = row_max(x, n);
  T s = 0;
  if (log) {
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < n; ++j) s += exp_nonpos(x[j] - m);
    const T ls = std::log(s);
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - m) - ls;
  } else {
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < n; ++j) {
      const T e = exp_nonpos(x[j] - m);
      y[j] = e;
      s += e;
    }
    const T inv = T(1) / s;
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) y[j] *= inv;
  }
}

// A tile of w columns: element (j, k) at x[j * ld + k].
template <class T> void softmax_tile(T* y, const T* x, int64_t n, int64_t ld, int64_t w, bool log) {
  T m[kTile], s[kTile];
  for (int64_t k = 0; k < w; ++k) m[k] = neg_inf<T>(), s[k] = 0;
  for (int64_t j = 0; j < n; ++j) {
    const T* xj = x + j * ld;
#pragma omp simd
    for (int64_t k = 0; k < w; ++k) m[k] = std::max(m[k], xj[k]);
  }
  for (int64_t j = 0; j < n; ++j) {
    const T* xj = x + j * ld;
    T* yj = y + j * ld;
    if (log) {
#pragma omp simd
      for (int64_t k = 0; k < w; ++k) s[k] += exp_nonpos(xj[k] - m[k]);
    } else {
#pragma omp simd
      for (int64_t k = 0; k < w; ++k) {
        const T e = exp_nonpos(xj[k] - m[k]);
        yj[k] = e;
        s[k] += e;
      }
    }
  }
  for (int64_t k = 0; k < w; ++k) s[k] = log ? std::log(s[k]) : T(1) / s[k];
  for (int64_t j = 0; j < n; ++j) {
    const T* xj = x + j * ld;
    T* yj = y + j * ld;
    if (log) {
#pragma omp simd
      for (int64_t k = 0; k < w; ++k) yj[k] = (xj[k] - m[k]) - s[k];
    } else {
#pragma omp simd
      for (int64_t k = 0; k < w; ++k) yj[k] *= s[k];
    }
  }
}

template <class T> void softmax_backward_row(T* gx, const T* g, const T* y, int64_t n, bool log) {
  T s = 0;
  if (log) {
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < n; ++j) s += g[j];
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) gx[j] = g[j] - exp_nonpos(y[j]) * s;
  } else {
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < n; ++j) s += g[j] * y[j];
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) gx[j] = y[j] * (g[j] - s);
  }
}

template <class T>
void softmax_backward_tile(T* gx, const T* g, const T* y, int64_t n, int64_t ld, int64_t w,
                           bool log) {
  T s[kTile];
  for (int64_t k = 0; k < w; ++k) s[k] = 0;
  for (int64_t j = 0; j < n; ++j) {
    const T* gj = g + j * ld;
    const T* yj = y + j * ld;
    if (log) {
#pragma omp simd
      for (int64_t k = 0; k < w; ++k) s[k] += gj[k];
    } else {
#pragma omp simd
      for (int64_t k = 0; k < w; ++k) s[k] += gj[k] * yj[k];
    }
  }
  for (int64_t j = 0; j < n; ++j) {
    const T* gj = g + j * ld;
    const T* yj = y + j * ld;
    T* oj = gx + j * ld;
    if (log) {
#pragma omp simd
      for (int64_t k = 0; k < w; ++k) oj[k] = gj[k] - exp_nonpos(yj[k]) * s[k];
    } else {
#pragma omp simd
      for (int64_t k = 0; k < w; ++k) oj[k] = yj[k] * (gj[k] - s[k]);
    }
  }
}

// The (outer, n, inner) problem of a softmax-like kernel: rows [b, e) when
// inner == 1, else tiles [b, e) of kTile columns (tile t = outer index
// t / tiles, columns from (t % tiles) * kTile).
struct Span {
  int64_t n, inner, b, e;
  bool log;
};

// Forward: out y, input x. Backward: out gx, inputs g and y.
struct SoftmaxKernel {
  template <class T> static void run(T* y, const T* x, Span sp) {
    if (sp.inner == 1) {
      for (int64_t o = sp.b; o < sp.e; ++o) {
        if (o + kRowsAhead < sp.e) prefetch_row(x + (o + kRowsAhead) * sp.n, sp.n);
        softmax_row(y + o * sp.n, x + o * sp.n, sp.n, sp.log);
      }
      return;
    }
    const int64_t tiles = (sp.inner + kTile - 1) / kTile;
    for (int64_t t = sp.b; t < sp.e; ++t) {
      const int64_t o = t / tiles, k0 = (t % tiles) * kTile;
      const int64_t base = o * sp.n * sp.inner + k0;
      softmax_tile(y + base, x + base, sp.n, sp.inner, std::min(kTile, sp.inner - k0), sp.log);
    }
  }
};

struct SoftmaxBackwardKernel {
  template <class T> static void run(T* gx, const T* g, const T* y, Span sp) {
    if (sp.inner == 1) {
      for (int64_t o = sp.b; o < sp.e; ++o) {
        if (o + kRowsAhead < sp.e) {
          prefetch_row(g + (o + kRowsAhead) * sp.n, sp.n);
          prefetch_row(y + (o + kRowsAhead) * sp.n, sp.n);
        }
        softmax_backward_row(gx + o * sp.n, g + o * sp.n, y + o * sp.n, sp.n, sp.log);
      }
      return;
    }
    const int64_t tiles = (sp.inner + kTile - 1) / kTile;
    for (int64_t t = sp.b; t < sp.e; ++t) {
      const int64_t o = t / tiles, k0 = (t % tiles) * kTile;
      const int64_t base = o * sp.n * sp.inner + k0;
      softmax_backward_tile(gx + base, g + base, y + base, sp.n, sp.inner,
                            std::min(kTile, sp.inner - k0), sp.log);
    }
  }
};

// Calls f(Span) over the rows (inner == 1) or column tiles, split over threads.
template <class F> void over_spans(int64_t outer, int64_t n, int64_t inner, bool log, F f) {
  const int64_t cost = std::max<int64_t>(n, 1) * std::min(inner, kTile);
  const int64_t units = inner == 1 ? outer : outer * ((inner + kTile - 1) / kTile);
  parallel_for(0, units, std::max<int64_t>(1, kGrainSize / cost),
               [&](int64_t b, int64_t e) { f(Span{n, inner, b, e, log}); });
}

}  // namespace

void leaky_relu(const Array& out, const Array& x, double negative_slope) {
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T a = static_cast<T>(negative_slope);
    unary_loop<T, T>(out, x, [a](T v) { return select(v > T(0), v, v * a); });
  });
}

// v >= 0 rather than > 0 keeps -0 as -0, as PyTorch (alpha * expm1(-0)
// would give +0).
template <class T> inline T elu_of(T v, T a) {
  const bool pos = v >= T(0);
  return select(pos, v, a * expm1_nonpos(select(pos, T(0), v)));
}

// The float32 rows also run as AVX2 / AVX-512 copies (unary_loop_isa,
// binary_loop_isa): elu fwd+bwd was 14.6 GB/s at 1 thread with SSE2 only.
struct EluRun {
  template <class T>
  static void run(T* o, const T* x, int64_t n, T a) {
    for (int64_t i = 0; i < n; ++i) o[i] = elu_of(x[i], a);
  }
};

template <class T> inline T elu_grad_of(T g, T x, T a) {
  const bool pos = x > T(0);
  return select(pos, g, g * a * exp_nonpos(select(pos, T(0), x)));
}

struct EluBackwardRun {
  template <class T>
  static void run(T* o, const T* g, const T* x, int64_t n, T a) {
    for (int64_t i = 0; i < n; ++i) o[i] = elu_grad_of(g[i], x[i], a);
  }
};

void elu(const Array& out, const Array& x, double alpha) {
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T a = static_cast<T>(alpha);
    unary_loop_isa<EluRun, T>(out, x, [a](T v) { return elu_of(v, a); }, a);
  });
}

void activation_backward(ActGrad kind, const Array& out, const Array& grad, const Array& saved,
                         double param) {
  visit_floating(saved.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T a = static_cast<T>(param);
    switch (kind) {
      case ActGrad::Relu:  // as PyTorch's threshold_backward: NaN outputs pass the gradient
        return binary_loop<T, T>(out, grad, saved, [](T g, T y) { return select(y <= T(0), T(0), g); });
      case ActGrad::Sigmoid:
        return binary_loop<T, T>(out, grad, saved, [](T g, T y) { return g * (T(1) - y) * y; });
      case ActGrad::Tanh:
        return binary_loop<T, T>(out, grad, saved, [](T g, T y) { return g * (T(1) - y * y); });
      case ActGrad::LeakyRelu:
        return binary_loop<T, T>(out, grad, saved, [a](T g, T x) { return select(x > T(0), g, g * a); });
      case ActGrad::Elu:
        return binary_loop_isa<EluBackwardRun, T>(out, grad, saved,
                                                  [a](T g, T x) { return elu_grad_of(g, x, a); }, a);
    }
  });
}

void softmax(const Array& out, const Array& x, int64_t outer, int64_t n, int64_t inner, bool log) {
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* y = out.data<T>();
    const T* px = x.data<T>();
    const Isa widest = inner == 1 ? widest_for_rows(n) : Isa::Avx512;
    over_spans(outer, n, inner, log,
               [&](Span sp) { run_kernel_upto<SoftmaxKernel, T>(widest, y, px, sp); });
  });
}

void softmax_backward(const Array& out, const Array& g, const Array& y, int64_t outer, int64_t n,
                      int64_t inner, bool log) {
  visit_floating(y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* gx = out.data<T>();
    const T* pg = g.data<T>();
    const T* py = y.data<T>();
    const Isa widest = inner == 1 ? widest_for_rows(n) : Isa::Avx512;
    over_spans(outer, n, inner, log,
               [&](Span sp) { run_kernel_upto<SoftmaxBackwardKernel, T>(widest, gx, pg, py, sp); });
  });
}

void dropout(const Array& out, const Array& x, uint64_t threshold, double scale, uint64_t seed,
             uint64_t offset) {
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* po = out.data<T>();
    const T sc = static_cast<T>(scale);
    const int64_t n = x.numel(), groups = (n + 3) / 4;
    // Groups of 4 elements share one Philox block, so chunks split at groups.
    parallel_for(0, groups, kGrainSize / 4, [&](int64_t b, int64_t e) {
      for (int64_t q = b; q < e; ++q) {
        const auto r = Philox::block(seed, offset + static_cast<uint64_t>(q), 0);
        const int64_t i0 = 4 * q, m = std::min<int64_t>(4, n - i0);
        for (int64_t l = 0; l < m; ++l)
          po[i0 + l] = select(r[l] >= threshold, px[i0 + l] * sc, T(0));
      }
    });
  });
}

}  // namespace dc::cpu
