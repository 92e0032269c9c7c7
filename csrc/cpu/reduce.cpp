// CPU reductions: sum, mean, var, amax/amin, all/any, argmax/argmin (with values).
//
// Math. The input is seen as M outputs x K reduced positions; each op folds
// the K elements of an output into an accumulator:
//   sum/mean  a double (float inputs: float32 sums are exact enough for
//             1e7+ elements) or a wrapping uint64 (int64/bool inputs);
//   var/std   Welford's (n, mean, M2); partial states merge with Chan et
//             al.'s formula, so blocks and lanes never lose accuracy;
//   max/min   the best value, NaN wins;
//   arg ops   (value, index), ties to the lower index (so the fold order
//             never changes the answer), NaN wins.
// Cost: M*K reads of 4 or 8 bytes and ~1 FLOP each (var/std: ~6 and a
// division): memory-bound except var/std. Partial states: M*blocks accumulators.
// Measured (1 thread, float32, a shared and noisy 2-core AMD EPYC VM): sum of
// 8M elements 2.7 ms (~12 GB/s; numpy 2.9, PyTorch 1.8), sum over dim 0 of
// (4096, 2048) 2.9 ms (numpy 2.2, PyTorch 6.0), amax over dim 1 of (1M, 10)
// 11 ms (numpy 47, PyTorch 13.5). argmax / max(dim) over dim 1 of
// (16384, 1000) (2026-12-07, Zen 5 VM): float32 24 -> 5.8 ms (numpy 3.4,
// PyTorch 12.2), float64 26 -> 10.6 ms (numpy 6.1, PyTorch 18) with the
// two-array lanes of arg_run.
//
// Engine (one for every op). Reduced dims and kept dims are each merged where
// their strides allow and size-1 dims dropped, then:
//  - row path, when the dim with the smallest stride is reduced and its runs
//    are long (sum over the features of (N, F), over H*W): each output folds
//    contiguous runs of its reduced elements with kLanes independent
//    accumulators (vectorised, and shorter error chains than one running sum);
//  - column path, when that dim is kept (sum over the batch dim of (N, F)), or
//    the reduced runs are short (max over the 10 classes of (N, 10)): a tile
//    of outputs along the smallest-stride kept dim folds kRows reduced
//    positions per pass, a loop across outputs that vectorises when contiguous.
// Threads: tasks are (output group, reduction block). With few outputs the
// reduction itself is cut into blocks whose partial states are combined in
// block order afterwards. Block counts depend on shapes only, never on the
// thread count, so a result is bitwise the same for any number of threads.
#include "cpu/reduce.h"
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <type_traits>
#include <vector>
#include "core/host_device.h"
#include "core/threads.h"

namespace dc::cpu {

namespace {

constexpr int kLanes = 16;          // independent accumulators on the row path
constexpr int64_t kTileBytes = 32768;  // accumulators per task on the column path (L1)
constexpr int kRows = 4;            // reduced positions per pass on the column path
constexpr int64_t kMinTasks = 64;   // below this many output tasks, split the reduction
constexpr int kMaxDims = 64;        // check_shape's limit

// The reducers (SumR, VarR, ...) and the geometry (Dim, Geometry,
// make_geometry), shared with cuda/reduce.cu.
#include "ops/kernels/reducers.inc"

// Walks the positions of a dim list in row-major order, tracking the input
// offset (sum of idx * stride) and the weighted index (sum of idx * index).
struct Cursor {
  const Dim* dims;
  int n;
  std::array<int64_t, kMaxDims> idx;
  int64_t off = 0, index = 0;

  explicit Cursor(const std::vector<Dim>& d) : dims(d.data()), n(static_cast<int>(d.size())) {}

  void seek(int64_t p) {
    off = index = 0;
    for (int d = n - 1; d >= 0; --d) {
      idx[d] = p % dims[d].size;
      p /= dims[d].size;
      off += idx[d] * dims[d].stride;
      index += idx[d] * dims[d].index;
    }
  }
  void reset() {
    off = index = 0;
    for (int d = 0; d < n; ++d) idx[d] = 0;
  }
  void next() {
    for (int d = n - 1; d >= 0; --d) {
      off += dims[d].stride;
      index += dims[d].index;
      if (++idx[d] < dims[d].size) return;
      off -= dims[d].size * dims[d].stride;
      index -= dims[d].size * dims[d].index;
      idx[d] = 0;
    }
  }
};

// How many blocks to cut each output's reduction into: 1 when the outputs
// alone give enough tasks, else enough blocks for ~kMinTasks tasks of at
// least kGrainSize elements. Depends on shapes only (determinism).
int64_t num_blocks(int64_t out_tasks, int64_t work_per_out_task, int64_t K) {
  if (out_tasks >= kMinTasks) return 1;
  int64_t want = (kMinTasks + out_tasks - 1) / out_tasks;
  int64_t cap = std::max<int64_t>(1, work_per_out_task / kGrainSize);
  return std::max<int64_t>(1, std::min({want, cap, K}));
}

// ---------------------------------------------------------------- folds
template <class R> struct IsArg : std::false_type {};
template <class T, bool IsMax> struct IsArg<ArgR<T, IsMax>> : std::true_type {};

// An arg op over a contiguous run of floats: lanes of (value, index) pairs
// kept as two arrays, the index a float of the same type (exact below 2^24
// for float, 2^53 for double) so that the selects are one blend and the fold
// vectorises (as pairs it did not: argmax over rows of 1000 floats ran at
// 1.4 ns per element, 7x numpy; int64 indices beside doubles stayed scalar
// too). Each lane starts at its first element and keeps its first best
// (strictly better, or the first NaN); the lanes then fold into acc in the
// step's order, which sends ties to the lower index. Runs longer than
// kArgChunk<T> go in chunks.
template <class T> constexpr int64_t kArgChunk = int64_t(1) << (sizeof(T) == 4 ? 24 : 48);
template <class T, bool IsMax>
inline void arg_run(const ArgR<T, IsMax>& r, ValIdx<T>& acc, const T* x, int64_t n, int64_t i0,
                    int64_t is) {
  for (int64_t c0 = 0; c0 < n; c0 += kArgChunk<T>) {
    const T* xc = x + c0;
    const int64_t len = std::min(kArgChunk<T>, n - c0);
    int64_t i = 0;
    if (len >= 2 * kLanes) {
      T lv[kLanes], li[kLanes];
      for (int k = 0; k < kLanes; ++k) lv[k] = xc[k], li[k] = T(k);
      for (i = kLanes; i + kLanes <= len; i += kLanes) {
        const T base = static_cast<T>(i);
#pragma omp simd
        for (int k = 0; k < kLanes; ++k) {
          const T v = xc[i + k];
          const bool take = (IsMax ? v > lv[k] : v < lv[k]) | (is_nan(v) & !is_nan(lv[k]));
          lv[k] = take ? v : lv[k];
          li[k] = take ? base + T(k) : li[k];
        }
      }
      for (int k = 0; k < kLanes; ++k)
        r.step(acc, lv[k], i0 + (c0 + static_cast<int64_t>(li[k])) * is);
    }
    for (; i < len; ++i) r.step(acc, xc[i], i0 + (c0 + i) * is);
  }
}

// acc = fold of x[0], x[s], ..., x[(n-1)s] whose indices are i0, i0+is, ...
template <class R>
inline void fold_run(const R& r, typename R::Acc& acc, const typename R::In* x, int64_t s,
                     int64_t n, int64_t i0, int64_t is) {
  using Acc = typename R::Acc;
  if constexpr (IsArg<R>::value && std::is_floating_point_v<typename R::In>) {
    if (s == 1 && n >= 2 * kLanes) return arg_run(r, acc, x, n, i0, is);
  }
  int64_t i = 0;
  if (n >= 2 * kLanes) {
    Acc lane[kLanes];
    for (int k = 0; k < kLanes; ++k) lane[k] = r.init();
    // Lanes are independent: `omp simd` lets the compiler vectorise the
    // selects of max/min too, which it otherwise keeps as scalar branches.
    if (s == 1) {
      for (; i + kLanes <= n; i += kLanes) {
#pragma omp simd
        for (int k = 0; k < kLanes; ++k) r.step(lane[k], x[i + k], i0 + (i + k) * is);
      }
    } else {
      for (; i + kLanes <= n; i += kLanes) {
#pragma omp simd
        for (int k = 0; k < kLanes; ++k) r.step(lane[k], x[(i + k) * s], i0 + (i + k) * is);
      }
    }
    for (int k = 0; k < kLanes; ++k) r.combine(acc, lane[k]);
  }
  for (; i < n; ++i) r.step(acc, x[i * s], i0 + i * is);
}

// acc[j] = fold(acc[j], x_0[j*s], ..., x_{n-1}[j*s]) for j < w: n <= kRows
// reduced positions (row pointers x_k with indices idx_k), w outputs. Several
// rows per pass keep acc[j] in a register and cut its load/store traffic.
template <int N, class R>
inline void fold_rows(const R& r, typename R::Acc* acc, const typename R::In* const* x,
                      const int64_t* idx, int64_t s, int64_t w) {
  if (s == 1) {
#pragma omp simd
    for (int64_t j = 0; j < w; ++j) {
      typename R::Acc a = acc[j];
      for (int k = 0; k < N; ++k) r.step(a, x[k][j], idx[k]);
      acc[j] = a;
    }
  } else {
    for (int64_t j = 0; j < w; ++j) {
      typename R::Acc a = acc[j];
      for (int k = 0; k < N; ++k) r.step(a, x[k][j * s], idx[k]);
      acc[j] = a;
    }
  }
}

template <class R>
void combine_partials(const R& r, const std::vector<typename R::Acc>& partial, int64_t nb,
                      int64_t M) {
  parallel_for(0, M, std::max<int64_t>(1, kGrainSize / nb), [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m) {
      typename R::Acc a = partial[m];
      for (int64_t b = 1; b < nb; ++b) r.combine(a, partial[b * M + m]);
      r.store(m, a);
    }
  });
}

// Row path: the reduced dim with the smallest stride is the inner run.
template <class R>
void run_rows(const R& r, const Geometry& g, const typename R::In* x) {
  using Acc = typename R::Acc;
  std::vector<Dim> outer = g.red;
  Dim inner{1, 0, 0};
  if (!outer.empty()) {
    auto it = std::min_element(outer.begin(), outer.end(), [](const Dim& p, const Dim& q) {
      return std::llabs(p.stride) < std::llabs(q.stride);
    });
    inner = *it;
    outer.erase(it);
  }
  const int64_t L = inner.size, K = g.K, M = g.M;
  const int64_t nb = num_blocks(M, K, K);
  std::vector<Acc> partial(nb > 1 ? nb * M : 0);
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, K / nb));
  parallel_for(0, M * nb, grain, [&](int64_t t0, int64_t t1) {
    Cursor kc(g.kept), rc(outer);
    // acc = fold of reduced positions [r0, r1) of the output at input offset `base`.
    auto fold = [&](Acc& acc, const typename R::In* base, int64_t r0, int64_t r1) {
      if (r0 == 0) rc.reset();
      else rc.seek(r0 / L);
      for (int64_t pos = r0, l = r0 % L; pos < r1; l = 0, rc.next()) {
        int64_t n = std::min(L - l, r1 - pos);
        fold_run(r, acc, base + rc.off + l * inner.stride, inner.stride, n,
                 rc.index + l * inner.index, inner.index);
        pos += n;
      }
    };
    if (nb == 1) {  // consecutive outputs: walk them without divisions
      kc.seek(t0);
      for (int64_t m = t0; m < t1; ++m, kc.next()) {
        Acc acc = r.init();
        fold(acc, x + kc.off, 0, K);
        r.store(m, acc);
      }
      return;
    }
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t m = t / nb, b = t % nb;
      kc.seek(m);
      Acc acc = r.init();
      fold(acc, x + kc.off, K * b / nb, K * (b + 1) / nb);
      partial[b * M + m] = acc;
    }
  });
  if (nb > 1) combine_partials(r, partial, nb, M);
}

// Column path: kept dim `ci` has the smallest stride; tiles of its outputs
// accumulate one row segment per reduced position.
template <class R>
void run_columns(const R& r, const Geometry& g, size_t ci, const typename R::In* x) {
  using Acc = typename R::Acc;
  const int64_t M = g.M, K = g.K;
  // Output strides of the kept dims (the output is contiguous over them).
  std::vector<Dim> others;
  int64_t col_out_stride = 1;
  {
    std::vector<int64_t> ostride(g.kept.size());
    int64_t os = 1;
    for (size_t d = g.kept.size(); d-- > 0;) {
      ostride[d] = os;
      os *= g.kept[d].size;
    }
    for (size_t d = 0; d < g.kept.size(); ++d) {
      if (d == ci) col_out_stride = ostride[d];
      else others.push_back({g.kept[d].size, g.kept[d].stride, ostride[d]});
    }
  }
  constexpr int64_t kTile = std::max<int64_t>(1, kTileBytes / sizeof(Acc));
  const Dim col = g.kept[ci];
  const int64_t F = col.size, width = std::min(F, kTile);
  const int64_t tiles = (F + kTile - 1) / kTile;
  const int64_t out_tasks = (M / F) * tiles;
  const int64_t nb = num_blocks(out_tasks, K * width, K);
  std::vector<Acc> partial(nb > 1 ? nb * M : 0);
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, K / nb * width));
  parallel_for(0, out_tasks * nb, grain, [&](int64_t t0, int64_t t1) {
    Acc acc[kTile];
    Cursor oc(others), rc(g.red);
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t o = t / nb, b = t % nb;
      const int64_t j0 = (o % tiles) * kTile, w = std::min(kTile, F - j0);
      const int64_t r0 = K * b / nb, r1 = K * (b + 1) / nb;
      oc.seek(o / tiles);  // oc.off: input offset, oc.index: output offset
      const typename R::In* base = x + oc.off + j0 * col.stride;
      for (int64_t j = 0; j < w; ++j) acc[j] = r.init();
      rc.seek(r0);
      const typename R::In* rows[kRows];
      int64_t idx[kRows];
      int64_t pos = r0;
      for (; pos + kRows <= r1; pos += kRows) {
        for (int k = 0; k < kRows; ++k, rc.next()) {
          rows[k] = base + rc.off;
          idx[k] = rc.index;
        }
        fold_rows<kRows>(r, acc, rows, idx, col.stride, w);
      }
      for (; pos < r1; ++pos, rc.next()) {
        rows[0] = base + rc.off;
        idx[0] = rc.index;
        fold_rows<1>(r, acc, rows, idx, col.stride, w);
      }
      for (int64_t j = 0; j < w; ++j) {
        const int64_t m = oc.index + (j0 + j) * col_out_stride;
        if (nb == 1) r.store(m, acc[j]);
        else partial[b * M + m] = acc[j];
      }
    }
  });
  if (nb > 1) combine_partials(r, partial, nb, M);
}

template <class R>
void run(const R& r, const Array& a, const std::vector<bool>& reduced) {
  Geometry g = make_geometry(a, reduced);
  if (g.M == 0) return;
  if (g.K == 0) {  // an empty reduction: every output is the initial state
    for (int64_t m = 0; m < g.M; ++m) r.store(m, r.init());
    return;
  }
  const auto* x = a.data<typename R::In>();
  // The dim with the smallest stride decides the path (ties go to the rows),
  // except that short inner runs (too short for the lanes: a softmax's max
  // over 10 classes) go to the columns, which interleave many outputs' folds.
  size_t ci = 0;
  int64_t kept_min = std::numeric_limits<int64_t>::max();
  for (size_t d = 0; d < g.kept.size(); ++d) {
    if (std::llabs(g.kept[d].stride) < kept_min) {
      kept_min = std::llabs(g.kept[d].stride);
      ci = d;
    }
  }
  int64_t red_min = std::numeric_limits<int64_t>::max(), inner_size = 1;
  for (const Dim& d : g.red) {
    if (std::llabs(d.stride) < red_min) {
      red_min = std::llabs(d.stride);
      inner_size = d.size;
    }
  }
  if (!g.kept.empty() && (kept_min < red_min || inner_size < 2 * kLanes))
    run_columns(r, g, ci, x);
  else
    run_rows(r, g, x);
}

}  // namespace

void reduce(ReduceOp op, const Array& out, const Array& a, const std::vector<bool>& reduced,
            double correction) {
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    constexpr bool fp = std::is_floating_point_v<T>;
    switch (op) {
      case ReduceOp::Sum:
        if constexpr (fp) return run(SumR<T, T, false>{out.data<T>(), 0}, a, reduced);
        else return run(SumR<T, int64_t, false>{out.data<int64_t>(), 0}, a, reduced);
      case ReduceOp::Mean:
        if constexpr (fp)
          return run(SumR<T, T, true>{out.data<T>(), reduced_count(a, reduced)}, a, reduced);
        else return;
      case ReduceOp::Var:
        if constexpr (fp) return run(VarR<T, false>{out.data<T>(), correction}, a, reduced);
        else return;
      case ReduceOp::Std:
        if constexpr (fp) return run(VarR<T, true>{out.data<T>(), correction}, a, reduced);
        else return;
      case ReduceOp::Max: return run(ExtremeR<T, true>{out.data<T>()}, a, reduced);
      case ReduceOp::Min: return run(ExtremeR<T, false>{out.data<T>()}, a, reduced);
      case ReduceOp::All: return run(LogicR<T, true>{out.data<bool>()}, a, reduced);
      case ReduceOp::Any: return run(LogicR<T, false>{out.data<bool>()}, a, reduced);
    }
  });
}

void arg_reduce(bool is_max, const Array* values, const Array& indices, const Array& a,
                const std::vector<bool>& reduced) {
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* v = values ? values->data<T>() : nullptr;
    if (is_max) run(ArgR<T, true>{v, indices.data<int64_t>()}, a, reduced);
    else run(ArgR<T, false>{v, indices.data<int64_t>()}, a, reduced);
  });
}

}  // namespace dc::cpu
