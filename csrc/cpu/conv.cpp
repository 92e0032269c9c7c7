// 2-D convolution (NCHW) as im2col + GEMM, forward and backward.
//
// Math. With K = C*KH*KW and Q = OH*OW, sample n's im2col matrix
// col_n (K x Q) holds col_n[(c, i, j), (oh, ow)] = x[n, c, oh*sh - ph + i*dh,
// ow*sw - pw + j*dw] (0 in the padding), and with W as a (Co x K) matrix:
//   forward   out_n  = W @ col_n + bias          (Co x Q)
//   weight    gW^T   = sum_n col_n @ gout_n^T    (K x Co, transposed at the end)
//   input     gx_n   = col2im(W^T @ gout_n)      (col2im adds each column
//                                                 entry back where im2col took it)
//   bias      gb[o]  = sum_{n, q} gout[n, o, q]
// Work: forward 2*N*Co*Q*K FLOPs; the weight and input gradients the same
// each, so forward+backward is 3x forward. Memory: im2col writes N*K*Q
// elements (and col2im reads as many) against the 2*Co FLOPs done per
// element, so for Co >= 16 the GEMMs dominate; the layers with tiny K (1->16
// 3x3: K = 9) are bound by writing the output, N*Co*Q elements.
//
// Tiling. The column matrix is never built for the whole batch: a worker
// builds one tile of it at a time, K x tq for a run of tq consecutive output
// positions of one sample, tq chosen so the tile stays within g_col_budget
// bytes (1 MiB: in L2/L3, so the GEMM's packing reads it back from cache):
// whole output rows when one fits (im2col then copies whole rows with
// hoisted bounds), else runs within a row. The GEMM writes the tile's outputs in
// place (C = out_n[:, q0:q1], row stride Q). 1x1 convolutions with stride 1
// and no padding skip im2col: col_n is x_n itself. The bias is one more
// column of W against a row of ones under the im2col tile (K + 1 rows), so
// the GEMM writes C once; 1x1 direct convolutions, which have no tile,
// start C as the bias instead (beta = 1). A fused relu (nn.Sequential's
// Conv2d then ReLU) runs
// on each output tile right after its GEMM, while the tile is in cache,
// instead of as a separate pass over the whole output.
//
// Threads. With at least as many samples (or weight-gradient parts) as
// threads, each thread takes whole samples with its own tile buffer and runs
// single-threaded GEMMs (tiles are too small to split well); otherwise the
// samples run one after another and the GEMM splits itself over the threads.
// The weight and bias gradients are summed in P <= 32 parts of the batch (P
// depends on the shapes only) with one accumulator each, added in part order
// at the end, so results do not depend on the number of threads; the bias
// gradient is summed tile by tile while that tile of gout is in cache. col2im
// of one sample stays on one thread, since neighbouring tiles add into
// overlapping input rows.
//
// Measured 2026-11-25 (bench/conv.py, 2-core Zen 3 VM shared with other
// jobs, float32, medians, ratio = time / PyTorch 2.13 (oneDNN)): fwd+bwd at
// 1 thread 1->16 3x3 b128 0.20, 16->32 3x3 b128 0.87, 64->64 3x3 pad 1 b32
// 0.94, 3->32 3x3 stride 2 b64 0.48; at 2 threads 0.23, 0.82, 0.90, 0.47.
// Thread-time of fwd+bwd (16->32 and 64->64): GEMMs ~80%, im2col ~10%,
// col2im ~6%, bias ~2%; the GEMMs run at 60-75 GFLOP/s per core. What is
// left is in the GEMM (and writing im2col straight into its packed panels).
// 2026-12-07, 2-core Zen 4 VM, after float32 im2col / col2im got AVX2 copies
// (im2col 2.77 -> 2.01 ms, col2im 2.14 -> 1.07 ms on 16->32, 1 thread):
// fwd+bwd ratios 0.14-0.40, 1.03, 0.89-0.92, 0.50-0.53 at 1 thread; the
// GEMMs are 82% of 16->32's time at 97-100 GFLOP/s (83-85% of peak).
// 2026-12-07, Zen 5 VM (AVX-512 GEMM, B read in place by the forward and A
// by the weight gradient): fwd+bwd ratios 0.13-0.56, 1.06-1.12 (against
// PyTorch's fast runs; 0.55 against its slow ones), 0.70-0.96, 0.48-0.60.
// 2026-12-07, Intel VM (Emerald Rapids, AVX-512; after col2im's __restrict
// adds, the bias as a column of W and B in place for the input gradient):
// 0.18, 1.05 (against PyTorch's fast runs; 0.74-0.83 against its slow
// ones), 0.95-1.00, 0.50-0.56 at 1 thread; 0.16-0.40, 1.05, 0.93-1.10,
// 0.56-0.63 at 2. conv2's two im2col passes are 12% of its time: next is
// the GEMM reading x itself (docs/benchmarks.md, "conv2d").
#include "cpu/conv.h"
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <vector>
#include "core/threads.h"
#include "cpu/gemm.h"
#include "cpu/isa.h"

namespace dc::cpu {

namespace {

int64_t g_col_budget = int64_t(1) << 20;  // bytes of im2col tile per worker
bool g_implicit = true;                    // implicit im2col where it applies
constexpr int64_t kMinTileCols = 8;       // a tile has at least this many output positions
constexpr int64_t kMaxParts = 32;  // gradient accumulators (shape-only; >= the threads)
constexpr int64_t kPartsBytes = int64_t(64) << 20;  // their memory cap

// ------------------------------------------------------------ profiling
// Thread-time per phase for bench/conv.py --breakdown; one relaxed load per
// phase when disabled.
enum Phase { kIm2col, kGemmForward, kGemmWeight, kGemmInput, kCol2im, kBias, kRelu, kPhases };
const char* const kPhaseNames[kPhases] = {"im2col", "gemm fwd", "gemm wgrad", "gemm igrad",
                                          "col2im", "bias", "relu"};
std::atomic<bool> g_profile{false};
std::atomic<int64_t> g_phase_ns[kPhases];

class PhaseTimer {
 public:
  explicit PhaseTimer(Phase p) : phase_(p), on_(g_profile.load(std::memory_order_relaxed)) {
    if (on_) start_ = std::chrono::steady_clock::now();
  }
  ~PhaseTimer() {
    if (!on_) return;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::steady_clock::now() - start_);
    g_phase_ns[phase_].fetch_add(ns.count(), std::memory_order_relaxed);
  }

 private:
  Phase phase_;
  bool on_;
  std::chrono::steady_clock::time_point start_;
};

// ------------------------------------------------------------------ GEMM
// The one place convolution calls the GEMM: C = A @ B + beta * C for beta 0
// or 1, C (m x n) with row stride ldc and unit column stride, A and B in any
// strides. Runs inside parallel regions: cpu::gemm then stays on the calling
// thread and never throws.
template <class T>
void conv_gemm(int64_t m, int64_t n, int64_t k, const T* a, int64_t rsa, int64_t csa,
               const T* b, int64_t rsb, int64_t csb, T beta, T* c, int64_t ldc) {
  gemm<T>(m, n, k, T(1), a, rsa, csa, b, rsb, csb, beta, c, ldc, 1);
}

// ---------------------------------------------------------- the plan

struct Plan {
  int64_t k, q;    // GEMM inner size C*KH*KW and output positions OH*OW per sample
  int64_t tile;    // output positions per im2col tile
  int64_t stride;  // elements between workers' tile buffers
  bool direct;     // 1x1, stride 1, no padding: col_n is x_n, no im2col
};

Plan make_plan(const ConvGeometry& g, int64_t itemsize) {
  Plan p;
  p.k = g.c * g.kh * g.kw;
  p.q = g.oh * g.ow;
  p.direct = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
  if (p.direct || p.k == 0) {
    p.tile = p.q;
    p.stride = 0;
  } else {
    // Whole output rows when the budget holds one (the fast im2col path),
    // else a run of positions within a row.
    const int64_t cols = g_col_budget / (p.k * itemsize);
    p.tile = cols >= g.ow ? std::min(p.q, cols / g.ow * g.ow)
                          : std::clamp(cols, std::min(kMinTileCols, p.q), p.q);
    // K + 1 rows: the forward's row of ones for the bias.
    p.stride = ((p.k + 1) * p.tile + 15) / 16 * 16;  // 64-byte aligned for float and double
  }
  return p;
}

// Whether `units` independent pieces of work are better spread over the
// threads (each single-threaded) than run in turn with a threaded GEMM.
bool split_units(int64_t units) {
  const int64_t nt = get_num_threads();
  return nt > 1 && units >= nt && (units % nt == 0 || units >= 4 * nt);
}

// Calls body(unit, worker) for every unit in [0, units): split over `workers`
// threads in contiguous runs, or all on the calling thread when workers == 1.
template <class F>
void for_units(int64_t units, int64_t workers, F&& body) {
  parallel_for(0, workers, 1, [&](int64_t w0, int64_t w1) {
    for (int64_t wk = w0; wk < w1; ++wk)
      for (int64_t u = wk * units / workers; u < (wk + 1) * units / workers; ++u) body(u, wk);
  });
}

// ------------------------------------------------------- im2col / col2im
// Output position q = oh*OW + ow of row (c, i, j) reads input element
// (ih, iw) = (oh*sh - ph + i*dh, ow*sw + off) with off = j*dw - pw. For a
// given j the valid ow form one range [lo, hi).
struct ColRange {
  int64_t off, lo, hi;
};

ColRange col_range(const ConvGeometry& g, int64_t j) {
  const int64_t off = j * g.dw - g.pw;
  const int64_t lo = off >= 0 ? 0 : std::min(g.ow, (-off + g.sw - 1) / g.sw);
  const int64_t hi = off >= g.w ? lo : std::min(g.ow, (g.w - 1 - off) / g.sw + 1);
  return {off, lo, std::max(lo, hi)};
}

// Visits the positions [q0, q1) one output-row segment at a time:
// seg(oh, ow0, ow1, offset of ow0 within the tile); one division per tile.
template <class F>
inline void for_segments(const ConvGeometry& g, int64_t q0, int64_t q1, F&& seg) {
  int64_t oh = q0 / g.ow, ow0 = q0 - oh * g.ow;
  for (int64_t t = 0, tq = q1 - q0; t < tq; ++oh, ow0 = 0) {
    const int64_t ow1 = std::min(g.ow, ow0 + (tq - t));
    seg(oh, ow0, ow1, t);
    t += ow1 - ow0;
  }
}

// Runs are output-row segments, often 10-60 elements: short ones take a
// plain loop (cheaper than a call), long ones memcpy.
template <class T>
inline void zero_run(T* d, int64_t n) {
  for (int64_t l = 0; l < n; ++l) d[l] = T(0);
}

template <class T>
inline void copy_run(T* __restrict d, const T* __restrict s, int64_t n) {
  if (n >= 32) {
    std::memcpy(d, s, sizeof(T) * n);
    return;
  }
  for (int64_t l = 0; l < n; ++l) d[l] = s[l];
}

// The output rows [oh0, oh1) whose input row oh*sh + base lies in [0, h),
// as a sub-range [rlo, rhi).
inline std::pair<int64_t, int64_t> valid_rows(const ConvGeometry& g, int64_t base, int64_t oh0,
                                              int64_t oh1) {
  int64_t rlo = base >= 0 ? 0 : (-base + g.sh - 1) / g.sh;
  int64_t rhi = base >= g.h ? 0 : (g.h - 1 - base) / g.sh + 1;
  rlo = std::clamp(rlo, oh0, oh1);
  return {rlo, std::clamp(rhi, rlo, oh1)};
}

// gather_run: d[l] = s[l * sw]; scatter_add_run, its transpose:
// d[l * sw] += s[l]. The common stride 2 is a compile-time constant there,
// so those loops vectorise.
template <class T>
inline void gather_run(T* __restrict d, const T* __restrict s, int64_t n, int64_t sw) {
  if (sw == 2) {
    for (int64_t l = 0; l < n; ++l) d[l] = s[2 * l];
  } else {
    for (int64_t l = 0; l < n; ++l) d[l] = s[l * sw];
  }
}

template <class T>
inline void add_run(T* __restrict d, const T* __restrict s, int64_t n) {
  for (int64_t l = 0; l < n; ++l) d[l] += s[l];
}

template <class T>
inline void scatter_add_run(T* __restrict d, const T* __restrict s, int64_t n, int64_t sw) {
  if (sw == 2) {
    for (int64_t l = 0; l < n; ++l) d[2 * l] += s[l];
  } else {
    for (int64_t l = 0; l < n; ++l) d[l * sw] += s[l];
  }
}

// col (K x (q1 - q0), row-major) = columns [q0, q1) of sample x's im2col
// matrix, for tiles of whole output rows: per (c, i, j) the valid input rows
// are one range and the valid columns [lo, hi) are the same in every row, so
// the inner loops are plain copies (the per-row overhead is what this costs
// beyond the bytes: rows are often only 10-60 elements).
template <class T>
void im2col_rows(const ConvGeometry& g, const T* x, int64_t q0, int64_t q1, T* col) {
  const int64_t tq = q1 - q0, ow = g.ow, oh0 = q0 / ow, oh1 = oh0 + tq / ow;
  for (int64_t c = 0; c < g.c; ++c)
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t base = i * g.dh - g.ph;  // input row of output row oh: oh * sh + base
      const auto [rlo, rhi] = valid_rows(g, base, oh0, oh1);
      for (int64_t j = 0; j < g.kw; ++j) {
        T* row = col + ((c * g.kh + i) * g.kw + j) * tq;
        const ColRange r = col_range(g, j);
        const int64_t lo = r.lo, hi = r.hi, sw = g.sw, step = g.sh * g.w;
        const T* xs = x + c * g.h * g.w + (rlo * g.sh + base) * g.w + r.off;  // xs[ow * sw]
        zero_run(row, (rlo - oh0) * ow);
        T* d = row + (rlo - oh0) * ow;
        if (sw == 1 && lo == 0 && hi == ow) {
          for (int64_t oh = rlo; oh < rhi; ++oh, d += ow, xs += step) copy_run(d, xs, ow);
        } else {
          for (int64_t oh = rlo; oh < rhi; ++oh, d += ow, xs += step) {
            zero_run(d, lo);
            if (sw == 1) {
              copy_run(d + lo, xs + lo, hi - lo);
            } else {
              gather_run(d + lo, xs + lo * sw, hi - lo, sw);
            }
            zero_run(d + hi, ow - hi);
          }
        }
        zero_run(d, (oh1 - rhi) * ow);
      }
    }
}

// The same for any run of positions (tiles within a row), one row segment
// at a time.
template <class T>
void im2col_segments(const ConvGeometry& g, const T* x, int64_t q0, int64_t q1, T* col) {
  const int64_t tq = q1 - q0;
  for (int64_t c = 0; c < g.c; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        T* row = col + ((c * g.kh + i) * g.kw + j) * tq;
        const T* xc = x + c * g.h * g.w;
        const ColRange r = col_range(g, j);
        for_segments(g, q0, q1, [&](int64_t oh, int64_t ow0, int64_t ow1, int64_t t) {
          T* dst = row + t;  // dst[l]: output position ow0 + l
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.h) return zero_run(dst, ow1 - ow0);
          const int64_t a = std::clamp(r.lo, ow0, ow1), b = std::clamp(r.hi, a, ow1);
          zero_run(dst, a - ow0);
          const T* src = xc + ih * g.w + r.off;  // src[ow * sw] for ow in [a, b)
          T* d = dst + (a - ow0);
          const int64_t len = b - a;
          if (g.sw == 1) {
            copy_run(d, src + a, len);
          } else {
            gather_run(d, src + a * g.sw, len, g.sw);
          }
          zero_run(dst + (b - ow0), ow1 - b);
        });
      }
}

inline bool whole_rows(const ConvGeometry& g, int64_t q0, int64_t q1) {
  return q0 % g.ow == 0 && (q1 - q0) % g.ow == 0;
}

// The row copies are short (often 10-60 elements), so AVX2's wider moves and
// fewer iterations pay: float32 runs an AVX2 copy (cpu/isa.h).
struct Im2colKernel {
  template <class T>
  static void run(ConvGeometry g, const T* x, int64_t q0, int64_t q1, T* col) {
    if (whole_rows(g, q0, q1)) return im2col_rows(g, x, q0, q1, col);
    im2col_segments(g, x, q0, q1, col);
  }
};

template <class T>
void im2col(const ConvGeometry& g, const T* x, int64_t q0, int64_t q1, T* col) {
  run_kernel_upto<Im2colKernel, T>(Isa::Avx2, g, x, q0, q1, col);
}

// Adds col (K x (q1 - q0)) back into sample gx where im2col took each entry:
// the transpose of im2col_rows / im2col_segments.
template <class T>
void col2im_rows(const ConvGeometry& g, const T* col, int64_t q0, int64_t q1, T* gx) {
  const int64_t tq = q1 - q0, ow = g.ow, oh0 = q0 / ow, oh1 = oh0 + tq / ow;
  for (int64_t c = 0; c < g.c; ++c)
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t base = i * g.dh - g.ph;
      const auto [rlo, rhi] = valid_rows(g, base, oh0, oh1);
      for (int64_t j = 0; j < g.kw; ++j) {
        const ColRange r = col_range(g, j);
        const int64_t lo = r.lo, n = r.hi - r.lo, sw = g.sw, step = g.sh * g.w;
        const T* s = col + ((c * g.kh + i) * g.kw + j) * tq + (rlo - oh0) * ow + lo;
        T* xd = gx + c * g.h * g.w + (rlo * g.sh + base) * g.w + r.off + lo * sw;
        for (int64_t oh = rlo; oh < rhi; ++oh, s += ow, xd += step) {
          if (sw == 1) {
            add_run(xd, s, n);
          } else {
            scatter_add_run(xd, s, n, sw);
          }
        }
      }
    }
}

template <class T>
void col2im_segments(const ConvGeometry& g, const T* col, int64_t q0, int64_t q1, T* gx) {
  const int64_t tq = q1 - q0;
  for (int64_t c = 0; c < g.c; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* row = col + ((c * g.kh + i) * g.kw + j) * tq;
        T* gc = gx + c * g.h * g.w;
        const ColRange r = col_range(g, j);
        for_segments(g, q0, q1, [&](int64_t oh, int64_t ow0, int64_t ow1, int64_t t) {
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.h) return;
          const int64_t a = std::clamp(r.lo, ow0, ow1), b = std::clamp(r.hi, a, ow1);
          const int64_t len = b - a;
          if (len <= 0) return;
          const T* src = row + t + (a - ow0);          // entries of positions [a, b)
          T* dst = gc + ih * g.w + a * g.sw + r.off;  // the input columns they came from
          if (g.sw == 1) {
            add_run(dst, src, len);
          } else {
            scatter_add_run(dst, src, len, g.sw);
          }
        });
      }
}

// The adds go through add_run, whose __restrict spares each short run the
// compiler's overlap check and scalar fallback (1.71 -> 0.96 ms on 16->32
// 3x3 b128, Emerald Rapids, 1 thread); AVX-512 takes it to 0.85 (no change
// on 64->64 3x3 pad 1, where rows are 56 long).
struct Col2imKernel {
  template <class T>
  static void run(ConvGeometry g, const T* col, int64_t q0, int64_t q1, T* gx) {
    if (whole_rows(g, q0, q1)) return col2im_rows(g, col, q0, q1, gx);
    col2im_segments(g, col, q0, q1, gx);
  }
};

template <class T>
void col2im(const ConvGeometry& g, const T* col, int64_t q0, int64_t q1, T* gx) {
  run_kernel<Col2imKernel, T>(g, col, q0, q1, gx);
}

// ------------------------------------------------------------- forward

// d = relu(d) in place, NaN kept (NaN <= 0 is false), as the relu op; the
// single compare-and-blend vectorises.
template <class T>
inline void relu_run(T* d, int64_t n) {
  for (int64_t l = 0; l < n; ++l) d[l] = d[l] <= T(0) ? T(0) : d[l];
}

template <class T>
void forward_impl(const ConvGeometry& g, const Array& x, const Array& w, const Array& bias,
                  const Array& out, bool relu) {
  const Plan p = make_plan(g, sizeof(T));
  if (g.n == 0) return;
  const T* px = x.data<T>();
  const T* pw = w.data<T>();
  const T* pb = bias.defined() ? bias.data<T>() : nullptr;
  T* po = out.data<T>();
  const int64_t workers = split_units(g.n) ? get_num_threads() : 1;
  Array buf;
  if (p.stride) buf = Array::empty({workers * p.stride}, out.dtype());
  T* pbuf = p.stride ? buf.data<T>() : nullptr;
  // With im2col and a bias, the bias is one more column of W (Co x K+1)
  // against a row of ones under the column tile: C is then written once,
  // instead of filled with the bias and read back (beta = 1), which cost
  // 0.34 of 4.3 ms on 16->32 3x3 b128 (Emerald Rapids, 1 thread).
  const bool bias_row = pb && p.stride > 0;  // im2col runs (not direct, K > 0)
  const int64_t kw = bias_row ? p.k + 1 : p.k;  // the GEMM's inner size
  Array wb;
  if (bias_row) {
    wb = Array::empty({g.co * kw}, w.dtype());
    T* d = wb.data<T>();
    for (int64_t o = 0; o < g.co; ++o) {
      std::copy(pw + o * p.k, pw + (o + 1) * p.k, d + o * kw);
      d[o * kw + p.k] = pb[o];
    }
    pw = d;
  }

  for_units(g.n, workers, [&](int64_t n, int64_t wk) {
    const T* xn = px + n * g.c * g.h * g.w;
    T* on = po + n * g.co * p.q;
    T* col = pbuf ? pbuf + wk * p.stride : nullptr;
    for (int64_t q0 = 0; q0 < p.q; q0 += p.tile) {
      const int64_t q1 = std::min(p.q, q0 + p.tile), tq = q1 - q0;
      const T* b = xn + q0;
      int64_t rsb = p.q;  // direct: x_n is the (C x Q) column matrix
      if (!p.direct) {
        PhaseTimer t(kIm2col);
        im2col(g, xn, q0, q1, col);
        if (bias_row) std::fill(col + p.k * tq, col + (p.k + 1) * tq, T(1));
        b = col;
        rsb = tq;
      }
      T beta = 0;
      if (pb && !bias_row) {  // C starts as the bias and the product is added to it
        PhaseTimer t(kBias);
        for (int64_t o = 0; o < g.co; ++o) std::fill(on + o * p.q + q0, on + o * p.q + q1, pb[o]);
        beta = 1;
      }
      {
        PhaseTimer t(kGemmForward);
        conv_gemm<T>(g.co, tq, kw, pw, kw, 1, b, rsb, 1, beta, on + q0, p.q);
      }
      if (relu) {  // the fused relu, while this tile of the output is in cache
        PhaseTimer t(kRelu);
        for (int64_t o = 0; o < g.co; ++o) relu_run(on + o * p.q + q0, tq);
      }
    }
  });
}

// ------------------------------------------------- implicit im2col
// The weight gradient of a 3-wide, stride-1 (along rows), undilated kernel
// reads its column matrix straight from the input (gemm_taps): row (c, i,
// j) of the im2col tile is, output row by output row, OW consecutive input
// values, so the GEMM broadcasts them from x itself instead of from a copy.
// Padding goes through a zero-padded copy of the sample, 1/KH*KW of
// im2col's bytes. Other kernels build the tile.
struct Taps {
  bool on = false;
  int64_t hp = 0, wp = 0;           // the (padded) input plane the GEMM reads
  bool padded = false;              // x_n is copied into a zero-padded plane first
  std::vector<int64_t> goff;        // offset of group (c, i) in that plane stack
};

Taps make_taps(const ConvGeometry& g, const Plan& p, bool available) {
  Taps t;
  t.on = g_implicit && available && !p.direct && p.k > 0 && g.kw == 3 && g.dw == 1 && g.sw == 1 &&
         p.tile % g.ow == 0;
  if (!t.on) return t;
  t.padded = g.ph > 0 || g.pw > 0;
  t.hp = g.h + 2 * g.ph;
  t.wp = g.w + 2 * g.pw;
  t.goff.resize(g.c * g.kh);
  for (int64_t c = 0; c < g.c; ++c)
    for (int64_t i = 0; i < g.kh; ++i) t.goff[c * g.kh + i] = (c * t.hp + i * g.dh) * t.wp;
  return t;
}

// dst (C x hp x wp) = x_n with ph rows and pw columns of zeros around each plane.
template <class T>
void pad_sample(const ConvGeometry& g, const Taps& t, const T* x, T* dst) {
  for (int64_t c = 0; c < g.c; ++c) {
    T* d = dst + c * t.hp * t.wp;
    zero_run(d, g.ph * t.wp);
    for (int64_t r = 0; r < g.h; ++r) {
      T* row = d + (g.ph + r) * t.wp;
      zero_run(row, g.pw);
      copy_run(row + g.pw, x + (c * g.h + r) * g.w, g.w);
      zero_run(row + g.pw + g.w, g.pw);
    }
    zero_run(d + (g.ph + g.h) * t.wp, g.ph * t.wp);
  }
}

// Output rows per gemm_taps call: B (rows * OW x Co) is packed once per
// call and should stay in L2.
constexpr int64_t kTapsSteps = 1024;

// acc (K x Co) (+)= col (K x tq) @ gt^T for the tile of whole output rows
// starting at q0, col read from xs (x_n or its padded copy) by gemm_taps;
// false if gemm_taps could not run (nothing done).
template <class T>
bool weight_grad_taps(const ConvGeometry& g, const Plan& p, const Taps& t, const T* xs,
                      int64_t q0, int64_t tq, const T* gt, int64_t gld, bool first, T* acc) {
  const int64_t rows = tq / g.ow, oh0 = q0 / g.ow;
  const int64_t step = std::max<int64_t>(1, kTapsSteps / g.ow);
  for (int64_t r0 = 0; r0 < rows; r0 += step) {
    const int64_t runs = std::min(step, rows - r0);
    const T* x0 = xs + (oh0 + r0) * g.sh * t.wp;
    if (!gemm_taps<T>(p.k, g.co, runs, g.ow, g.sh * t.wp, x0, t.goff.data(), gt + r0 * g.ow, 1,
                      gld, first && r0 == 0 ? T(0) : T(1), acc, g.co))
      return false;
  }
  return true;
}

// ------------------------------------------------------------ backward

// The gradient through a fused relu with output y: g where y > 0 (or NaN),
// else 0, as the relu op's backward.
template <class T>
inline T relu_masked(T g, T y) {
  return y <= T(0) ? T(0) : g;
}

// sum_q r[q] for a run of n values (masked by relu_masked with y[q] when y
// is given): float lanes (vectorised), then double.
template <class T>
inline double run_sum(const T* r, int64_t n, const T* y = nullptr) {
  constexpr int kLanes = 16;
  T acc[kLanes] = {};
  int64_t q = 0;
  if (y) {
    for (; q + kLanes <= n; q += kLanes)
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) acc[l] += relu_masked(r[q + l], y[q + l]);
  } else {
    for (; q + kLanes <= n; q += kLanes)
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) acc[l] += r[q + l];
  }
  double s = 0;
  for (int l = 0; l < kLanes; ++l) s += acc[l];
  for (; q < n; ++q) s += y ? relu_masked(r[q], y[q]) : r[q];
  return s;
}

template <class T>
void backward_impl(const ConvGeometry& g, const Array& gout, const Array& x, const Array& w,
                   const Array& gx, const Array& gw, const Array& gb, const Array& relu_out) {
  const Plan p = make_plan(g, sizeof(T));
  const T* pg = gout.data<T>();
  const T* py = relu_out.defined() ? relu_out.data<T>() : nullptr;  // fused relu's output
  const int64_t gstride = g.co * p.q;  // gout elements per sample
  const int64_t wsize = g.co * p.k;
  T* pgb = gb.defined() ? gb.data<T>() : nullptr;
  T* pgw = gw.defined() ? gw.data<T>() : nullptr;
  T* pgx = gx.defined() ? gx.data<T>() : nullptr;

  if (g.n == 0 || (!pgx && !pgw)) {  // the bias gradient alone: one pass over gout
    PhaseTimer t(kBias);
    if (pgw) std::fill(pgw, pgw + wsize, T(0));
    if (!pgb) return;
    parallel_for(0, g.co, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, g.n * p.q)),
                 [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) {
        double s = 0;
        for (int64_t n = 0; n < g.n; ++n) {
          const int64_t off = n * gstride + o * p.q;
          s += run_sum(pg + off, p.q, py ? py + off : nullptr);
        }
        pgb[o] = static_cast<T>(s);
      }
    });
    return;
  }

  // Parts of the batch, each with its own weight- and bias-gradient
  // accumulators, added in part order at the end. The weight gradient is
  // accumulated transposed, gW^T (K x Co) += col @ gout_n^T: with K >= Co
  // (the usual case) that puts the long side on the GEMM's rows, which
  // its 6x16 register tile covers with less padding (1->16 3x3: 2 tiles
  // instead of 3). Only the input gradient: every sample a part.
  int64_t parts = g.n;
  if (pgw || pgb) {
    parts = std::min(g.n, kMaxParts);
    if (pgw) parts = std::clamp<int64_t>(kPartsBytes / (std::max<int64_t>(wsize, 1) * int64_t(sizeof(T))), 1, parts);
  }
  const int64_t workers = split_units(parts) ? get_num_threads() : 1;
  const Taps taps = make_taps(g, p, pgw && gemm_taps_available<T>());
  const int64_t pad_stride = taps.padded ? (g.c * taps.hp * taps.wp + 15) / 16 * 16 : 0;
  // With a fused relu, each worker masks a tile of gout (co x tile) into its
  // own buffer while the tile is read, instead of a pass over all of gout.
  const int64_t gstride_tile = py ? (g.co * p.tile + 15) / 16 * 16 : 0;
  Array wacc, bacc, buf, gbuf, pbufx;
  if (pgw && wsize > 0) wacc = Array::empty({parts * wsize}, gw.dtype());
  if (pad_stride) pbufx = Array::empty({workers * pad_stride}, gout.dtype());
  if (pgb) bacc = Array::empty({parts * g.co}, DType::Float64);
  if (p.stride) buf = Array::empty({workers * p.stride}, gout.dtype());
  if (py) gbuf = Array::empty({workers * gstride_tile}, gout.dtype());
  const T* px = x.defined() ? x.data<T>() : nullptr;  // only read for gw
  const T* pw = w.data<T>();
  T* pwacc = wacc.defined() ? wacc.data<T>() : nullptr;
  double* pbacc = bacc.defined() ? bacc.data<double>() : nullptr;
  T* pbuf = p.stride ? buf.data<T>() : nullptr;
  T* pgbuf = py ? gbuf.data<T>() : nullptr;
  T* ppad = pad_stride ? pbufx.data<T>() : nullptr;

  for_units(parts, workers, [&](int64_t part, int64_t wk) {
    T* col = pbuf ? pbuf + wk * p.stride : nullptr;
    T* xpad = ppad ? ppad + wk * pad_stride : nullptr;
    T* gmask = pgbuf ? pgbuf + wk * gstride_tile : nullptr;
    T* wacc_p = pwacc ? pwacc + part * wsize : nullptr;
    double* bacc_p = pbacc ? pbacc + part * g.co : nullptr;
    if (bacc_p) std::fill(bacc_p, bacc_p + g.co, 0.0);
    bool first = true;  // the part's first product overwrites its accumulator
    for (int64_t n = part * g.n / parts; n < (part + 1) * g.n / parts; ++n) {
      const T* xn = px ? px + n * g.c * g.h * g.w : nullptr;
      const T* gn = pg + n * gstride;
      T* gxn = pgx ? pgx + n * g.c * g.h * g.w : nullptr;
      if (gxn && !p.direct) std::fill(gxn, gxn + g.c * g.h * g.w, T(0));
      const T* xs = xn;  // what the implicit weight gradient reads
      if (taps.on && xn && xpad) {
        PhaseTimer t(kIm2col);
        pad_sample(g, taps, xn, xpad);
        xs = xpad;
      }
      for (int64_t q0 = 0; q0 < p.q; q0 += p.tile) {
        const int64_t q1 = std::min(p.q, q0 + p.tile), tq = q1 - q0;
        const T* gt = gn + q0;  // this tile of the gradient, row stride gld
        int64_t gld = p.q;
        if (gmask) {
          PhaseTimer t(kRelu);
          const T* yt = py + n * gstride + q0;
          for (int64_t o = 0; o < g.co; ++o)
            for (int64_t l = 0; l < tq; ++l)
              gmask[o * tq + l] = relu_masked(gt[o * p.q + l], yt[o * p.q + l]);
          gt = gmask;
          gld = tq;
        }
        if (wacc_p && taps.on && [&] {
              PhaseTimer t(kGemmWeight);
              return weight_grad_taps(g, p, taps, xs, q0, tq, gt, gld, first, wacc_p);
            }()) {
          first = false;
        } else if (wacc_p) {  // acc (K x Co) += col (K x tq) @ gout_n[:, q0:q1]^T
          const T* a = xn + q0;  // direct: x_n is the column matrix
          int64_t lda = p.q;
          if (!p.direct) {
            PhaseTimer t(kIm2col);
            im2col(g, xn, q0, q1, col);
            a = col;
            lda = tq;
          }
          PhaseTimer t(kGemmWeight);
          conv_gemm<T>(p.k, g.co, tq, a, lda, 1, gt, 1, gld, first ? T(0) : T(1), wacc_p,
                       g.co);
          first = false;
        }
        if (bacc_p) {  // while this tile of gout is in cache
          PhaseTimer t(kBias);
          for (int64_t o = 0; o < g.co; ++o) bacc_p[o] += run_sum(gt + o * gld, tq);
        }
        if (gxn && p.k > 0) {  // W^T @ gout_n[:, q0:q1], straight into gx_n when direct
          {
            PhaseTimer t(kGemmInput);
            conv_gemm<T>(p.k, tq, g.co, pw, 1, p.k, gt, gld, 1, T(0),
                         p.direct ? gxn + q0 : col, p.direct ? p.q : tq);
          }
          if (!p.direct) {
            PhaseTimer t(kCol2im);
            col2im(g, col, q0, q1, gxn);
          }
        }
      }
    }
  });

  if (pwacc) {  // gw[o, k] = sum over parts of acc[k, o], in part order
    parallel_for(0, g.co, std::max<int64_t>(1, kGrainSize / (parts * p.k)),
                 [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o)
        for (int64_t k = 0; k < p.k; ++k) {
          T s = pwacc[k * g.co + o];
          for (int64_t part = 1; part < parts; ++part) s += pwacc[part * wsize + k * g.co + o];
          pgw[o * p.k + k] = s;
        }
    });
  }
  if (pbacc) {
    for (int64_t o = 0; o < g.co; ++o) {
      double s = 0;
      for (int64_t part = 0; part < parts; ++part) s += pbacc[part * g.co + o];
      pgb[o] = static_cast<T>(s);
    }
  }
}

}  // namespace

void conv2d_forward(const ConvGeometry& g, const Array& x, const Array& w, const Array& bias,
                    const Array& out, bool relu) {
  visit_floating(out.dtype(),
                 [&](auto t) { forward_impl<decltype(t)>(g, x, w, bias, out, relu); });
}

void conv2d_backward(const ConvGeometry& g, const Array& gout, const Array& x, const Array& w,
                     const Array& gx, const Array& gw, const Array& gb, const Array& relu_out) {
  visit_floating(gout.dtype(), [&](auto t) {
    backward_impl<decltype(t)>(g, gout, x, w, gx, gw, gb, relu_out);
  });
}

std::vector<std::pair<std::string, double>> conv_profile(bool enable) {
  std::vector<std::pair<std::string, double>> out;
  for (int i = 0; i < kPhases; ++i)
    out.emplace_back(kPhaseNames[i], g_phase_ns[i].exchange(0) * 1e-9);
  g_profile = enable;
  return out;
}

int64_t set_conv_col_budget(int64_t bytes) {
  const int64_t old = g_col_budget;
  g_col_budget = bytes;
  return old;
}

bool set_conv_implicit(bool enabled) {
  const bool old = g_implicit;
  g_implicit = enabled;
  return old;
}

}  // namespace dc::cpu
