// CPU loss kernels: fused softmax-cross-entropy, nll, multi-margin and the
// elementwise losses.
//
// Cross-entropy on logits x (N, C, D), row i = (n, k), lse_i = log sum_c exp x_ic:
//   forward   lse_i = m + log sum_c exp(x_ic - m), m = max_c x_ic;
//             class target t: loss_i = (1 - ls) w_t (lse_i - x_it)
//                                      + ls/C sum_c w_c (lse_i - x_ic)
//             probabilities:  loss_i = sum_c w_c t'_ic (lse_i - x_ic),
//                             t' = (1 - ls) t + ls/C
//   backward  gx_ic = s_i (p_ic A_i - B_ic), p_ic = exp(x_ic - lse_i), with
//             A, B as in ops/loss.h; one pass: read x (and t), write gx.
// Bytes per logit (float32): forward reads 4 (the row's second and third
// passes hit L1/L2), backward reads 4 and writes 4 (plus 4 read for
// probability targets); ~25 FLOP each way, for exp. Nothing of size N x C is
// stored between forward and backward: only lse (one value per row).
// Layout: D == 1 runs row by row; D > 1 (spatial targets) on tiles of kTile
// columns so that the loops across a tile are contiguous and vectorise.
// Threads split rows or tiles; per-row results go to float64 buffers, summed
// in row order by reduce_loss_rows. Float32 forward and backward have AVX2+FMA
// and AVX-512 copies chosen at run time (cpu/isa.h; AVX-512 only for rows it
// suits, widest_for_rows), 3x the SSE2 loops with AVX2, 1.3-1.5x more with
// AVX-512 on long rows.
// Measured 2026-11-25 (2-core EPYC VM, bench/activations.py): (512, 1000) in
// cache fwd+bwd 0.84 ms (1.8x faster than PyTorch); (16384, 1000) = 64 MiB
// fwd 14 ms / 7.9 ms at 1 / 2 threads (4.6 / 8.3 GB/s counting 4 B per logit:
// exp-bound here), fwd+bwd 56 / 26 ms (PyTorch 205 / 139 ms).
//
// nll and multi-margin touch one or all elements of a row with trivial
// arithmetic; the elementwise losses (mse, l1, bce, bce with logits) use the
// strided loops of loops.h with the weights broadcast by zero strides.
#include "cpu/loss.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>
#include "core/threads.h"
#include "cpu/activation.h"
#include "cpu/loops.h"

namespace dc::cpu {

namespace {

constexpr int64_t kTile = 256;

// Typed pointers of a problem. Without a weight, w points at C ones: a
// conditional load in the inner loops would keep them from vectorising.
template <class T> struct View {
  const T* x;
  const int64_t* cls;  // class targets
  const T* prob;       // probability targets
  std::vector<T> ones;
  const T* w;
  int64_t N, C, D, ignore;
  T ls;   // label smoothing
  T lsc;  // ls / C
  explicit View(const CrossEntropyProblem& pb)
      : x(pb.x->data<T>()),
        cls(pb.prob ? nullptr : pb.target->data<int64_t>()),
        prob(pb.prob ? pb.target->data<T>() : nullptr),
        ones(pb.weight ? 0 : static_cast<size_t>(pb.C), T(1)),
        w(pb.weight ? pb.weight->data<T>() : ones.data()),
        N(pb.N), C(pb.C), D(pb.D), ignore(pb.ignore_index),
        ls(static_cast<T>(pb.label_smoothing)),
        lsc(pb.C > 0 ? static_cast<T>(pb.label_smoothing / static_cast<double>(pb.C)) : T(0)) {}
  T wc(int64_t c) const { return w[c]; }
  T weight_sum() const {
    double s = 0;
    for (int64_t c = 0; c < C; ++c) s += w[c];
    return static_cast<T>(s);
  }
};

// The per-row gradient factor of a backward pass: grad[i] when grad holds one
// value per row, else grad / denom for every row (computed in double, as the
// reduced loss's scale always was).
template <class T> struct RowGrad {
  const T* rows = nullptr;
  T scale = T(1);
  RowGrad(const Array& grad, double denom) {
    if (grad.ndim() > 0)
      rows = grad.data<T>();
    else
      scale = static_cast<T>(static_cast<double>(*grad.data<T>()) / denom);
  }
};

// Work units of an (N, C, D) problem: the N rows when D == 1, else the
// N * ceil(D / kTile) column tiles. over_units splits them over threads and
// calls f(b, e); for_units runs row(i) or tile(n, k0, width) on units [b, e).
template <class F> void over_units(int64_t N, int64_t C, int64_t D, F f) {
  const int64_t tiles = D == 1 ? 1 : (D + kTile - 1) / kTile;
  const int64_t cost = std::max<int64_t>(C, 1) * std::min(D, kTile);
  parallel_for(0, N * tiles, std::max<int64_t>(1, kGrainSize / cost),
               [&](int64_t b, int64_t e) { f(b, e); });
}

template <class Row, class Tile>
inline void for_units(int64_t D, int64_t b, int64_t e, Row& row, Tile& tile) {
  if (D == 1) {
    for (int64_t i = b; i < e; ++i) row(i);
    return;
  }
  const int64_t tiles = (D + kTile - 1) / kTile;
  for (int64_t t = b; t < e; ++t) {
    const int64_t n = t / tiles, k0 = (t % tiles) * kTile;
    tile(n, k0, std::min(kTile, D - k0));
  }
}

// ---------------------------------------------------------------- cross-entropy
template <class T>
void ce_forward(const CrossEntropyProblem& pb, double* row_loss, double* row_weight, T* lse,
                int64_t b, int64_t e) {
  const View<T> v(pb);
  // Locals, not members, in the loops: stores through lse could alias v.
  const T* const w = v.w;
  const T ls = v.ls, lsc = v.lsc;
  const int64_t C = v.C, D = v.D;
  const bool smooth = ls > T(0);

  auto row = [&](int64_t i) {
    const T* xi = v.x + i * C;
    if (i + kRowsAhead < e) prefetch_row(xi + kRowsAhead * C, C);
    const T m = row_max(xi, C);
    T s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t c = 0; c < C; ++c) s += exp_nonpos(xi[c] - m);
    const T l = m + std::log(s);
    lse[i] = l;
    if (v.prob) {
      const T* ti = v.prob + i * C;
      if (i + kRowsAhead < e) prefetch_row(ti + kRowsAhead * C, C);
      T acc = 0;
#pragma omp simd reduction(+ : acc)
      for (int64_t c = 0; c < C; ++c) acc += w[c] * ((T(1) - ls) * ti[c] + lsc) * (l - xi[c]);
      row_loss[i] = acc;
      row_weight[i] = 1;
      return;
    }
    const int64_t t = v.cls[i];
    if (t == v.ignore) {
      row_loss[i] = row_weight[i] = 0;
      return;
    }
    const double wt = w[t];
    double loss = (1.0 - static_cast<double>(ls)) * wt * (static_cast<double>(l) - xi[t]);
    if (smooth) {
      T sm = 0;
#pragma omp simd reduction(+ : sm)
      for (int64_t c = 0; c < C; ++c) sm += w[c] * (l - xi[c]);
      loss += static_cast<double>(lsc) * sm;
    }
    row_loss[i] = loss;
    row_weight[i] = wt;
  };

  auto tile = [&](int64_t n, int64_t k0, int64_t width) {
    const T* x = v.x + n * C * D + k0;
    T m[kTile], s[kTile], acc[kTile];
    for (int64_t k = 0; k < width; ++k) m[k] = -std::numeric_limits<T>::infinity(), s[k] = acc[k] = 0;
    for (int64_t c = 0; c < C; ++c) {
      const T* xc = x + c * D;
#pragma omp simd
      for (int64_t k = 0; k < width; ++k) m[k] = std::max(m[k], xc[k]);
    }
    for (int64_t c = 0; c < C; ++c) {
      const T* xc = x + c * D;
#pragma omp simd
      for (int64_t k = 0; k < width; ++k) s[k] += exp_nonpos(xc[k] - m[k]);
    }
    T* l = lse + n * D + k0;
    for (int64_t k = 0; k < width; ++k) l[k] = m[k] + std::log(s[k]);
    if (v.prob || smooth) {  // acc = sum_c w_c t'_c (lse - x_c), t' = 1 for class smoothing
      const T* t = v.prob ? v.prob + n * C * D + k0 : nullptr;
      for (int64_t c = 0; c < C; ++c) {
        const T* xc = x + c * D;
        const T wc = w[c];
        if (t) {
          const T* tc = t + c * D;
#pragma omp simd
          for (int64_t k = 0; k < width; ++k) acc[k] += wc * ((T(1) - ls) * tc[k] + lsc) * (l[k] - xc[k]);
        } else {
#pragma omp simd
          for (int64_t k = 0; k < width; ++k) acc[k] += wc * (l[k] - xc[k]);
        }
      }
    }
    double* rl = row_loss + n * D + k0;
    double* rw = row_weight + n * D + k0;
    for (int64_t k = 0; k < width; ++k) {
      if (v.prob) {
        rl[k] = acc[k];
        rw[k] = 1;
        continue;
      }
      const int64_t t = v.cls[n * D + k0 + k];
      if (t == v.ignore) {
        rl[k] = rw[k] = 0;
        continue;
      }
      const double wt = w[t];
      rl[k] = (1.0 - static_cast<double>(ls)) * wt * (static_cast<double>(l[k]) - x[t * D + k]) +
              (smooth ? static_cast<double>(lsc) * acc[k] : 0.0);
      rw[k] = wt;
    }
  };
  for_units(D, b, e, row, tile);
}

template <class T>
void ce_backward(const CrossEntropyProblem& pb, const T* lse, const T* grad_rows, T scale, T* gx,
                 int64_t b, int64_t e) {
  const View<T> v(pb);
  const T* const w = v.w;
  const T ls = v.ls, lsc = v.lsc;
  const int64_t C = v.C, D = v.D;
  const T W = v.weight_sum();
  const T keep = T(1) - ls;

  auto row_scale = [&](int64_t i) { return grad_rows ? scale * grad_rows[i] : scale; };

  auto row = [&](int64_t i) {
    const T* xi = v.x + i * C;
    T* gi = gx + i * C;
    if (i + kRowsAhead < e) prefetch_row(xi + kRowsAhead * C, C);
    const T l = lse[i], sc = row_scale(i);
    if (v.prob) {
      const T* ti = v.prob + i * C;
      if (i + kRowsAhead < e) prefetch_row(ti + kRowsAhead * C, C);
      T a = 0;
#pragma omp simd reduction(+ : a)
      for (int64_t c = 0; c < C; ++c) a += w[c] * (keep * ti[c] + lsc);
#pragma omp simd
      for (int64_t c = 0; c < C; ++c)
        gi[c] = sc * (exp_nonpos(xi[c] - l) * a - w[c] * (keep * ti[c] + lsc));
      return;
    }
    const int64_t t = v.cls[i];
    if (t == v.ignore) {
      std::fill(gi, gi + C, T(0));
      return;
    }
    const T wt = w[t];
    const T a = keep * wt + lsc * W;
    const T sa = sc * a, sl = sc * lsc;
    for (int64_t c = 0; c < C; ++c) gi[c] = sa * exp_nonpos(xi[c] - l) - sl * w[c];
    gi[t] -= sc * keep * wt;
  };

  auto tile = [&](int64_t n, int64_t k0, int64_t width) {
    const int64_t base = n * C * D + k0;
    const T* x = v.x + base;
    T* g = gx + base;
    const T* l = lse + n * D + k0;
    T a[kTile], sc[kTile];
    const int64_t* t = v.prob ? nullptr : v.cls + n * D + k0;
    for (int64_t k = 0; k < width; ++k) {
      sc[k] = row_scale(n * D + k0 + k);
      a[k] = v.prob ? T(0) : (t[k] == v.ignore ? T(0) : keep * w[t[k]] + lsc * W);
    }
    const T* tp = v.prob ? v.prob + base : nullptr;
    if (tp) {
      for (int64_t c = 0; c < C; ++c) {
        const T* tc = tp + c * D;
        const T wc = w[c];
#pragma omp simd
        for (int64_t k = 0; k < width; ++k) a[k] += wc * (keep * tc[k] + lsc);
      }
    }
    for (int64_t c = 0; c < C; ++c) {
      const T* xc = x + c * D;
      T* gc = g + c * D;
      const T wc = w[c];
      if (tp) {
        const T* tc = tp + c * D;
#pragma omp simd
        for (int64_t k = 0; k < width; ++k)
          gc[k] = sc[k] * (exp_nonpos(xc[k] - l[k]) * a[k] - wc * (keep * tc[k] + lsc));
      } else {
#pragma omp simd
        for (int64_t k = 0; k < width; ++k)
          gc[k] = sc[k] * (exp_nonpos(xc[k] - l[k]) * a[k] - lsc * wc);
      }
    }
    if (t) {
      for (int64_t k = 0; k < width; ++k) {
        if (t[k] == v.ignore) {
          for (int64_t c = 0; c < C; ++c) g[c * D + k] = T(0);
        } else {
          g[t[k] * D + k] -= sc[k] * keep * w[t[k]];
        }
      }
    }
  };
  for_units(D, b, e, row, tile);
}

struct CrossEntropyKernel {
  template <class T>
  static void run(const CrossEntropyProblem* pb, double* row_loss, double* row_weight, T* lse,
                  int64_t b, int64_t e) {
    ce_forward<T>(*pb, row_loss, row_weight, lse, b, e);
  }
};

struct CrossEntropyBackwardKernel {
  template <class T>
  static void run(const CrossEntropyProblem* pb, const T* lse, const T* grad_rows, T scale, T* gx,
                  int64_t b, int64_t e) {
    ce_backward<T>(*pb, lse, grad_rows, scale, gx, b, e);
  }
};

// ---------------------------------------------------------------- nll, multi-margin
template <class T> void nll_forward(const CrossEntropyProblem& pb, double* row_loss, double* row_weight) {
  const View<T> v(pb);
  for (int64_t i = 0, rows = v.N * v.D; i < rows; ++i) {
    const int64_t t = v.cls[i];
    if (t == v.ignore) {
      row_loss[i] = row_weight[i] = 0;
      continue;
    }
    const int64_t n = i / v.D, k = i % v.D;
    const double wt = v.wc(t);
    row_loss[i] = -wt * v.x[(n * v.C + t) * v.D + k];
    row_weight[i] = wt;
  }
}

template <class T> void nll_backward(const CrossEntropyProblem& pb, const T* grad_rows, T scale, T* gx) {
  const View<T> v(pb);
  std::fill(gx, gx + v.N * v.C * v.D, T(0));
  for (int64_t i = 0, rows = v.N * v.D; i < rows; ++i) {
    const int64_t t = v.cls[i];
    if (t == v.ignore) continue;
    const int64_t n = i / v.D, k = i % v.D;
    gx[(n * v.C + t) * v.D + k] = -v.wc(t) * (grad_rows ? scale * grad_rows[i] : scale);
  }
}

template <class T>
void margin_forward(const CrossEntropyProblem& pb, int64_t p, double margin, double* row_loss) {
  const View<T> v(pb);
  const int64_t C = v.C;
  parallel_for(0, v.N, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(C, 1)),
               [&](int64_t b, int64_t e) {
                 for (int64_t i = b; i < e; ++i) {
                   const T* xi = v.x + i * C;
                   const int64_t t = v.cls[i];
                   const double xt = xi[t];
                   double s = 0;
                   for (int64_t j = 0; j < C; ++j) {
                     const double z = margin - xt + xi[j];
                     if (j != t && z > 0) s += p == 1 ? z : z * z;
                   }
                   row_loss[i] = s * static_cast<double>(v.wc(t)) / static_cast<double>(C);
                 }
               });
}

template <class T>
void margin_backward(const CrossEntropyProblem& pb, int64_t p, double margin, const T* grad_rows,
                     T scale, T* gx) {
  const View<T> v(pb);
  const int64_t C = v.C;
  parallel_for(0, v.N, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(C, 1)),
               [&](int64_t b, int64_t e) {
                 for (int64_t i = b; i < e; ++i) {
                   const T* xi = v.x + i * C;
                   T* gi = gx + i * C;
                   const int64_t t = v.cls[i];
                   const T f = (grad_rows ? scale * grad_rows[i] : scale) * v.wc(t) / static_cast<T>(C);
                   const T xt = xi[t];
                   T total = 0;
                   for (int64_t j = 0; j < C; ++j) {
                     const T z = static_cast<T>(margin) - xt + xi[j];
                     const T d = (j != t && z > T(0)) ? f * (p == 1 ? T(1) : T(2) * z) : T(0);
                     gi[j] = d;
                     total += d;
                   }
                   gi[t] = -total;
                 }
               });
}

// ---------------------------------------------------------------- elementwise losses
// out[i] = f(in_1[i], ..., in_{N-1}[i]) over broadcast strided operands.
template <class T, int N, class F>
void pointwise(const std::array<const Array*, N>& ops, F f) {
  auto L = make_loop<N>(ops);
  for_each_row(L, [&](const std::array<char*, N>& p, const std::array<int64_t, N>& s, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      std::array<T, N - 1> v;
      for (int k = 1; k < N; ++k) v[k - 1] = *reinterpret_cast<const T*>(p[k] + i * s[k]);
      *reinterpret_cast<T*>(p[0] + i * s[0]) = f(v);
    }
  });
}

template <class T> T log_sigmoid(T x) { return std::min(x, T(0)) - std::log1p(std::exp(-std::abs(x))); }
template <class T> T sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}
template <class T> T clamped_log(T v) { return std::max(std::log(v), T(-100)); }
template <class T> T clamped_log1m(T v) { return std::max(std::log1p(-v), T(-100)); }

template <class T> T loss_value(PointwiseLoss kind, T x, T y, T pw) {
  switch (kind) {
    case PointwiseLoss::MSE: return (x - y) * (x - y);
    case PointwiseLoss::L1: return std::abs(x - y);
    case PointwiseLoss::BCE: return (y - T(1)) * clamped_log1m(x) - y * clamped_log(x);
    case PointwiseLoss::BCEWithLogits: return (T(1) - y) * x - (T(1) + (pw - T(1)) * y) * log_sigmoid(x);
  }
  return T(0);
}

// d loss / d x, or d loss / d y.
template <class T> T loss_grad(PointwiseLoss kind, bool wrt_target, T x, T y, T pw) {
  switch (kind) {
    case PointwiseLoss::MSE: return (wrt_target ? T(-2) : T(2)) * (x - y);
    case PointwiseLoss::L1: {
      const T d = x - y;
      const T sgn = d > T(0) ? T(1) : (d < T(0) ? T(-1) : T(0));
      return wrt_target ? -sgn : sgn;
    }
    case PointwiseLoss::BCE:
      if (wrt_target) return clamped_log1m(x) - clamped_log(x);
      return (x - y) / std::max((T(1) - x) * x, T(1e-12));
    case PointwiseLoss::BCEWithLogits:
      if (wrt_target) return -x - (pw - T(1)) * log_sigmoid(x);
      return (pw * y + T(1) - y) * sigmoid(x) - pw * y;
  }
  return T(0);
}

}  // namespace

void cross_entropy(const CrossEntropyProblem& pb, const Array& row_loss, const Array& row_weight,
                   const Array& lse) {
  double* rl = row_loss.data<double>();
  double* rw = row_weight.data<double>();
  visit_floating(pb.x->dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* l = lse.data<T>();
    const Isa widest = pb.D == 1 ? widest_for_rows(pb.C) : Isa::Avx512;
    over_units(pb.N, pb.C, pb.D, [&](int64_t b, int64_t e) {
      run_kernel_upto<CrossEntropyKernel, T>(widest, &pb, rl, rw, l, b, e);
    });
  });
}

void cross_entropy_backward(const CrossEntropyProblem& pb, const Array& lse, const Array& grad,
                            double denom, const Array& gx) {
  visit_floating(pb.x->dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* l = lse.data<T>();
    const RowGrad<T> g(grad, denom);
    T* out = gx.data<T>();
    const Isa widest = pb.D == 1 ? widest_for_rows(pb.C) : Isa::Avx512;
    over_units(pb.N, pb.C, pb.D, [&](int64_t b, int64_t e) {
      run_kernel_upto<CrossEntropyBackwardKernel, T>(widest, &pb, l, g.rows, g.scale, out, b, e);
    });
  });
}

void nll_loss(const CrossEntropyProblem& pb, const Array& row_loss, const Array& row_weight) {
  visit_floating(pb.x->dtype(), [&](auto tag) {
    nll_forward<decltype(tag)>(pb, row_loss.data<double>(), row_weight.data<double>());
  });
}

void nll_loss_backward(const CrossEntropyProblem& pb, const Array& grad, double denom,
                       const Array& gx) {
  visit_floating(pb.x->dtype(), [&](auto tag) {
    using T = decltype(tag);
    const RowGrad<T> g(grad, denom);
    nll_backward<T>(pb, g.rows, g.scale, gx.data<T>());
  });
}

void multi_margin_loss(const CrossEntropyProblem& pb, int64_t p, double margin,
                       const Array& row_loss) {
  visit_floating(pb.x->dtype(), [&](auto tag) {
    margin_forward<decltype(tag)>(pb, p, margin, row_loss.data<double>());
  });
}

void multi_margin_loss_backward(const CrossEntropyProblem& pb, int64_t p, double margin,
                                const Array& grad, double denom, const Array& gx) {
  visit_floating(pb.x->dtype(), [&](auto tag) {
    using T = decltype(tag);
    const RowGrad<T> g(grad, denom);
    margin_backward<T>(pb, p, margin, g.rows, g.scale, gx.data<T>());
  });
}

void reduce_loss_rows(const Array& out, const Array& row_loss, const Array& row_weight,
                      LossReduction r) {
  const double* loss = row_loss.data<double>();
  const int64_t n = row_loss.numel();
  visit_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    if (r == LossReduction::None) {
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(loss[i]);
      return;
    }
    double total = 0, denom = 0;
    for (int64_t i = 0; i < n; ++i) total += loss[i];
    if (r == LossReduction::WeightedMean) {
      const double* w = row_weight.data<double>();
      for (int64_t i = 0; i < n; ++i) denom += w[i];
    } else {
      denom = static_cast<double>(n);
    }
    if (r != LossReduction::Sum) total /= denom;  // 0/0: NaN for an empty (or all-ignored) batch, as PyTorch
    o[0] = static_cast<T>(total);
  });
}

void pointwise_loss(PointwiseLoss kind, const Array& out, const Array& x, const Array& y,
                    const Array& w, const Array& pw) {
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    pointwise<T, 5>({&out, &x, &y, &w, &pw}, [kind](const std::array<T, 4>& v) {
      return v[2] * loss_value(kind, v[0], v[1], v[3]);
    });
  });
}

void pointwise_loss_backward(PointwiseLoss kind, bool wrt_target, const Array& out,
                             const Array& grad, const Array& x, const Array& y, const Array& w,
                             const Array& pw, double scale) {
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T sc = static_cast<T>(scale);
    pointwise<T, 6>({&out, &grad, &x, &y, &w, &pw}, [=](const std::array<T, 5>& v) {
      return sc * v[0] * v[3] * loss_grad(kind, wrt_target, v[1], v[2], v[4]);
    });
  });
}

int64_t first_non_probability(const Array& x) {
  return visit_floating(x.dtype(), [&](auto tag) -> int64_t {
    using T = decltype(tag);
    const T* p = x.data<T>();
    for (int64_t i = 0, n = x.numel(); i < n; ++i)
      if (!(p[i] >= T(0) && p[i] <= T(1))) return i;
    return -1;
  });
}

}  // namespace dc::cpu
