// 2-D convolution (NCHW) on the GPU as im2col + our GEMM, forward and
// backward; the structure of cpu/conv.cpp, whose header states the math.
//
// Math. With K = C*KH*KW and Q = OH*OW, sample n's column matrix col_n
// (K x Q) holds col_n[(c, i, j), (oh, ow)] = x[n, c, oh*sh - ph + i*dh,
// ow*sw - pw + j*dw] (0 in the padding); W is a (Co x K) matrix:
//   forward   out_n = W @ col_n + bias                  one gemm_batched over n
//   weight    gW    = sum_n gout_n @ col_n^T            split over S lanes, summed at the end
//   input     gx_n  = col2im(W^T @ gout_n)              one gemm_batched over n, then a gather
//   bias      gb[o] = sum_{n, q} gout[n, o, q]          two-pass deterministic reduction
// FLOPs: forward 2*N*Co*K*Q, each gradient GEMM the same. Bytes beyond the
// GEMMs: im2col writes N*K*Q elements (read back once by the GEMM), col2im
// reads as many; against 2*Co FLOPs per column element, so for Co >= 32 the
// GEMMs dominate (64->64 3x3 on 56x56, batch 64: 14.8 GFLOP per GEMM
// against 0.46 GB of column matrix written and read).
//
// Chunks. The column matrix of a chunk of nb whole samples, (nb, K, Q), stays
// within kColBudget bytes; a sample whose own matrix is larger is cut into
// runs of tq output positions (the GEMM writes out[n][:, q0:q0+tq] in place
// through its row stride). 1x1 convolutions with stride 1 and no padding
// skip im2col: x_n is col_n, and every sample goes into one batched GEMM.
//
// Weight gradient. gW has only Co*K entries (64x576 above) while the inner
// dimension N*Q is long (200k), so one GEMM would run a handful of thread
// blocks. The samples are dealt over S lanes (a split-K over the batch): one
// gemm_batched computes S products gout_n @ col_n^T into S accumulators,
// which later groups add to (beta = 1), and a last kernel sums the lanes in
// lane order. S depends on the shapes and the GPU's SM count only, so the
// result is deterministic. A sample cut into runs splits its run into S
// pieces instead.
//
// Kernels. im2col: a thread owns one output position of one sample (one
// division, by a precomputed multiplier) and writes its column entry for a
// few channels' KH*KW taps; consecutive threads take consecutive positions,
// so writes are coalesced and reads are along input rows. col2im: a thread
// owns one input pixel and gathers, in (i, j) order (the CPU's order), the
// column entries that came from it: no atomics, every pixel written once
// (a sample cut into runs: zeroed first, then each run adds its part).
//
// Status: written without a GPU. The index logic was checked by running these
// kernels on the host (launches emulated thread by thread) against
// cpu/conv.cpp, for chunks, runs and lanes forced by tiny budgets; nothing is
// measured yet. To tune on a GPU: kColBudget trades the column matrix staying
// in L2 (50 MB on an H100) against GEMM parallelism (few samples per chunk).
#include <algorithm>
#include "check.cuh"
#include "common.cuh"
#include "conv.h"
#include "gemm.h"

namespace dc::cuda {

namespace {

constexpr const char* kOp = "conv2d";
constexpr int64_t kColBudget = int64_t(256) << 20;  // bytes of column matrix per chunk
constexpr int64_t kLaneBytes = int64_t(64) << 20;   // cap on the weight-gradient lanes
constexpr int64_t kMinPiece = 64;                   // output positions per lane piece
constexpr int kTapsPerThread = 32;                  // im2col entries a thread writes (about)

// n / d for 0 <= n < 2^31 by a multiply-high and a shift (Granlund and
// Montgomery; PyTorch's IntDivider): an integer division costs ~20
// instructions on the GPU, this 3.
struct FastDiv {
  uint32_t d = 1, m = 1, s = 0;
  FastDiv() = default;
  explicit FastDiv(int64_t divisor) : d(static_cast<uint32_t>(divisor)) {
    while ((uint64_t(1) << s) < d) ++s;
    m = static_cast<uint32_t>(((uint64_t(1) << 32) * ((uint64_t(1) << s) - d)) / d + 1);
  }
  __device__ __forceinline__ uint32_t div(uint32_t n) const {
    return (__umulhi(n, m) + n) >> s;
  }
};

// The geometry as the kernels need it, in 32-bit ints (ops checks plus
// check_sizes below keep every in-plane index under 2^31).
struct Geo {
  int c, h, w, co, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
  FastDiv by_ow, by_w, by_sh, by_sw;
};

Geo make_geo(const ConvGeometry& g) {
  Geo k;
  k.c = int(g.c), k.h = int(g.h), k.w = int(g.w), k.co = int(g.co), k.kh = int(g.kh);
  k.kw = int(g.kw), k.sh = int(g.sh), k.sw = int(g.sw), k.ph = int(g.ph), k.pw = int(g.pw);
  k.dh = int(g.dh), k.dw = int(g.dw), k.oh = int(g.oh), k.ow = int(g.ow);
  k.by_ow = FastDiv(g.ow), k.by_w = FastDiv(g.w), k.by_sh = FastDiv(g.sh), k.by_sw = FastDiv(g.sw);
  return k;
}

// Planes, kernels and paddings of 2^31 elements or more would overflow the
// kernels' 32-bit index math: refuse them rather than compute garbage.
void check_sizes(const ConvGeometry& g) {
  constexpr int64_t kMax = (int64_t(1) << 31) - 1;
  const int64_t k = g.c * g.kh * g.kw;
  if (g.h * g.w > kMax || g.oh * g.ow > kMax || k > kMax || g.co > kMax ||
      g.h + 2 * g.ph > kMax || g.w + 2 * g.pw > kMax || g.dh * g.kh > kMax ||
      g.dw * g.kw > kMax)
    fail<NotImplementedError>(kOp, ": CUDA convolution of planes, kernels or paddings with "
                              "2^31 or more elements is not supported (input (", g.n, ", ", g.c,
                              ", ", g.h, ", ", g.w, "), weight (", g.co, ", ", g.c, ", ", g.kh,
                              ", ", g.kw, "))");
}

int sm_count(int device) {
  int v = 0;
  check(cudaDeviceGetAttribute(&v, cudaDevAttrMultiProcessorCount, device),
        "cudaDeviceGetAttribute");
  return std::max(v, 1);
}

// Launches over (x: blocks along a row, y: rows); rows beyond the grid limit
// are covered by the kernels' stride loop over blockIdx.y.
dim3 grid2(int64_t cols, int64_t rows) {
  const int64_t bx = (cols + kThreads - 1) / kThreads;
  return dim3(static_cast<unsigned>(std::max<int64_t>(bx, 1)),
              static_cast<unsigned>(std::clamp<int64_t>(rows, 1, 65535)));
}

// ------------------------------------------------------------- kernels

// col (nb, K, tq) = columns [q0, q0 + tq) of the column matrices of samples
// x[0..nb) (x already offset to the chunk's first sample). Row y of the
// grid is (sample b, channel group cg of `cpt` channels).
template <class T>
__global__ void im2col_kernel(Geo g, const T* __restrict__ x, int q0, int tq, int64_t groups,
                              int cpt, int64_t rows, T* __restrict__ col) {
  const unsigned ut = blockIdx.x * blockDim.x + threadIdx.x;
  if (ut >= unsigned(tq)) return;
  const int t = static_cast<int>(ut), q = q0 + t;
  const int oh = static_cast<int>(g.by_ow.div(q)), ow = q - oh * g.ow;
  const int ih0 = oh * g.sh - g.ph, iw0 = ow * g.sw - g.pw;
  const int64_t k = int64_t(g.c) * g.kh * g.kw, plane = int64_t(g.h) * g.w;
  for (int64_t y = blockIdx.y; y < rows; y += gridDim.y) {
    const int64_t b = y / groups;
    const int c0 = static_cast<int>(y - b * groups) * cpt, c1 = min(g.c, c0 + cpt);
    const T* xp = x + (b * g.c + c0) * plane;
    T* cp = col + (b * k + int64_t(c0) * g.kh * g.kw) * tq + t;
    for (int c = c0; c < c1; ++c, xp += plane)
      for (int i = 0; i < g.kh; ++i) {
        const int ih = ih0 + i * g.dh;
        const bool row_in = ih >= 0 && ih < g.h;
        for (int j = 0; j < g.kw; ++j, cp += tq) {
          const int iw = iw0 + j * g.dw;
          *cp = row_in && iw >= 0 && iw < g.w ? xp[int64_t(ih) * g.w + iw] : T(0);
        }
      }
  }
}

// The transpose of im2col for input rows [ih0, ih1) of samples gx[0..nb):
// each pixel gathers the entries of col (nb, K, tq) (positions [q0, q0 + tq))
// that im2col took from it, in (i, j) order, and stores them (accumulate:
// adds them to what gx holds). Row y of the grid is the plane (b, c).
template <class T>
__global__ void col2im_kernel(Geo g, const T* __restrict__ col, int q0, int tq, int ih0,
                              int npix, int64_t rows, bool accumulate, T* __restrict__ gx) {
  const unsigned e = blockIdx.x * blockDim.x + threadIdx.x;
  if (e >= unsigned(npix)) return;
  const int p = ih0 * g.w + static_cast<int>(e);
  const int ih = static_cast<int>(g.by_w.div(p)), iw = p - ih * g.w;
  const int64_t plane = int64_t(g.h) * g.w, taps = int64_t(g.kh) * g.kw;
  for (int64_t y = blockIdx.y; y < rows; y += gridDim.y) {
    const int64_t b = y / g.c, c = y - b * g.c;
    const T* cp = col + (b * g.c + c) * taps * tq;  // the channel's KH*KW rows
    T* dst = gx + y * plane + p;
    T s = accumulate ? *dst : T(0);
    for (int i = 0; i < g.kh; ++i) {
      const int hoff = ih + g.ph - i * g.dh;  // = oh * sh for the output row that took it
      if (hoff < 0) break;                    // and for every larger i
      const int oh = static_cast<int>(g.by_sh.div(hoff));
      if (oh * g.sh != hoff || oh >= g.oh) continue;
      for (int j = 0; j < g.kw; ++j) {
        const int woff = iw + g.pw - j * g.dw;
        if (woff < 0) break;
        const int ow = static_cast<int>(g.by_sw.div(woff));
        if (ow * g.sw != woff || ow >= g.ow) continue;
        const int t = oh * g.ow + ow - q0;
        if (t >= 0 && t < tq) s += cp[(i * g.kw + j) * int64_t(tq) + t];
      }
    }
    *dst = s;
  }
}

// out[n, o, :] = bias[o] for every row n*Co + o (the GEMM then adds to it).
template <class T>
__global__ void fill_bias_kernel(const T* __restrict__ bias, int co, int q, int64_t rows,
                                 T* __restrict__ out) {
  const unsigned t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= unsigned(q)) return;
  for (int64_t y = blockIdx.y; y < rows; y += gridDim.y) out[y * q + t] = bias[y % co];
}

// The fused relu of conv2d_forward, in place, NaN kept (as the relu op). A
// separate pass: on the GPU the output's extra read and write are cheap
// beside the GEMM.
template <class T>
__global__ void relu_kernel(T* __restrict__ out, int64_t n) {
  DC_CUDA_LOOP(i, n) out[i] = out[i] <= T(0) ? T(0) : out[i];
}

// Its backward: the gradient through the relu, g where y > 0 (or NaN).
template <class T>
__global__ void relu_mask_kernel(const T* __restrict__ g, const T* __restrict__ y, int64_t n,
                                 T* __restrict__ out) {
  DC_CUDA_LOOP(i, n) out[i] = y[i] <= T(0) ? T(0) : g[i];
}

// Sum of a block's per-thread doubles (every thread gets it).
__device__ double block_sum(double v) {
  __shared__ double warp_sums[kThreads / 32];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  double s = 0;
  for (int i = 0; i < kThreads / 32; ++i) s += warp_sums[i];
  __syncthreads();
  return s;
}

// partial[o * parts + p] = sum of gout[n, o, :] over the samples n of part p
// (block (o, p)), in double as the CPU.
template <class T>
__global__ void bias_partial_kernel(const T* __restrict__ gout, int64_t n, int co, int q,
                                    FastDiv by_q, int parts, double* __restrict__ partial) {
  const int o = blockIdx.x, p = blockIdx.y;
  const int64_t n0 = p * n / parts, n1 = (p + 1) * n / parts;
  const int count = static_cast<int>((n1 - n0) * q);  // < 2^31 by the choice of parts
  double s = 0;
  for (int e = threadIdx.x; e < count; e += blockDim.x) {
    const int dn = static_cast<int>(by_q.div(e));
    s += static_cast<double>(gout[((n0 + dn) * co + o) * q + (e - dn * q)]);
  }
  s = block_sum(s);
  if (threadIdx.x == 0) partial[int64_t(o) * parts + p] = s;
}

template <class T>
__global__ void bias_final_kernel(const double* __restrict__ partial, int co, int parts,
                                  T* __restrict__ gb) {
  DC_CUDA_LOOP(o, co) {
    double s = 0;
    for (int p = 0; p < parts; ++p) s += partial[o * parts + p];
    gb[o] = static_cast<T>(s);
  }
}

// gw[e] = sum over lanes of acc[lane][e], in lane order.
template <class T>
__global__ void sum_lanes_kernel(const T* __restrict__ acc, int64_t size, int lanes,
                                 T* __restrict__ gw) {
  DC_CUDA_LOOP(e, size) {
    T s = acc[e];
    for (int l = 1; l < lanes; ++l) s += acc[l * size + e];
    gw[e] = s;
  }
}

// ------------------------------------------------------------- the plan

struct Plan {
  int64_t k, q;   // GEMM inner size C*KH*KW, output positions OH*OW per sample
  int64_t nb;     // samples per chunk
  int64_t tq;     // output positions per chunk (q when whole samples)
  int64_t lanes;  // weight-gradient accumulators
  bool direct;    // 1x1, stride 1, no padding: col_n is x_n
};

// lanes: enough weight-gradient products in flight to fill the GPU (about 4
// blocks per SM, counting 128x128 output tiles), within kLaneBytes.
Plan make_plan(const ConvGeometry& g, int64_t itemsize, int device, bool weight_grad) {
  Plan p;
  p.k = g.c * g.kh * g.kw;
  p.q = g.oh * g.ow;
  p.direct = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
  const int64_t col_bytes = std::max<int64_t>(p.k * p.q * itemsize, 1);
  p.nb = p.direct ? g.n : std::min(g.n, kColBudget / col_bytes);
  p.tq = p.q;
  if (p.nb == 0 && g.n > 0) {  // one sample's matrix is over budget: runs of positions
    p.nb = 1;
    p.tq = std::clamp<int64_t>(kColBudget / (std::max<int64_t>(p.k, 1) * itemsize), 1, p.q);
  }
  p.lanes = 1;
  if (weight_grad && g.n > 0 && p.k > 0) {
    const int64_t tiles = ((g.co + 127) / 128) * ((p.k + 127) / 128);
    const int64_t want = (4 * sm_count(device) + tiles - 1) / tiles;
    const int64_t cap = std::max<int64_t>(1, kLaneBytes / (g.co * p.k * itemsize));
    p.lanes = std::clamp<int64_t>(want, 1, cap);
    if (p.tq == p.q) {
      // Lane l takes the samples n with n % lanes == l: chunks start on a
      // multiple of lanes, and the first chunk reaches every lane.
      p.lanes = std::min(p.lanes, p.nb);
      if (p.nb < g.n) p.nb = p.nb / p.lanes * p.lanes;
    } else {
      p.lanes = std::clamp<int64_t>(p.tq / kMinPiece, 1, p.lanes);  // pieces of a run
    }
  }
  return p;
}

// ------------------------------------------------------------- launches

template <class T>
void im2col(const Geo& geo, const T* x, int64_t nb, int64_t q0, int64_t tq, T* col,
            cudaStream_t s) {
  const int cpt = std::max(1, kTapsPerThread / (geo.kh * geo.kw));
  const int64_t groups = (geo.c + cpt - 1) / cpt, rows = nb * groups;
  im2col_kernel<T><<<grid2(tq, rows), kThreads, 0, s>>>(geo, x, int(q0), int(tq), groups, cpt,
                                                       rows, col);
  check_launch(kOp);
}

// col2im of positions [q0, q0 + tq) of nb samples into gx (offset to the
// first): whole samples store every pixel; a run of positions adds into the
// input rows it touches.
template <class T>
void col2im(const Geo& geo, const T* col, int64_t nb, int64_t q0, int64_t tq, T* gx,
            cudaStream_t s) {
  const bool whole = q0 == 0 && tq == int64_t(geo.oh) * geo.ow;
  int64_t ih0 = 0, ih1 = geo.h;
  if (!whole) {
    const int64_t oh0 = q0 / geo.ow, oh1 = (q0 + tq - 1) / geo.ow;  // output rows touched
    ih0 = std::max<int64_t>(0, oh0 * geo.sh - geo.ph);
    ih1 = std::min<int64_t>(geo.h, oh1 * geo.sh - geo.ph + int64_t(geo.kh - 1) * geo.dh + 1);
    if (ih1 <= ih0) return;
  }
  const int64_t npix = (ih1 - ih0) * geo.w, rows = nb * geo.c;
  col2im_kernel<T><<<grid2(npix, rows), kThreads, 0, s>>>(geo, col, int(q0), int(tq), int(ih0),
                                                         int(npix), rows, !whole, gx);
  check_launch(kOp);
}

// ------------------------------------------------------------- forward

template <class T>
void forward_impl(const ConvGeometry& g, const Array& x, const Array& w, const Array& bias,
                  const Array& out) {
  if (g.n == 0) return;
  check_sizes(g);
  DeviceGuard guard(out);
  const cudaStream_t s = stream_of(out);
  const Plan p = make_plan(g, sizeof(T), out.device().index, false);
  const Geo geo = make_geo(g);
  const T* px = x.data<T>();
  const T* pw = w.data<T>();
  T* po = out.data<T>();
  const int64_t ostride = g.co * p.q;  // output elements per sample

  T beta = 0;
  if (bias.defined()) {  // the GEMM adds the product to the bias
    const int64_t rows = g.n * g.co;
    fill_bias_kernel<T><<<grid2(p.q, rows), kThreads, 0, s>>>(bias.data<T>(), int(g.co),
                                                             int(p.q), rows, po);
    check_launch(kOp);
    beta = 1;
  }
  if (p.k == 0) {  // no input channels: the bias, or zeros
    if (!bias.defined())
      check(cudaMemsetAsync(po, 0, out.numel() * sizeof(T), s), "conv2d: cudaMemsetAsync");
    return;
  }
  if (p.direct) {
    gemm_batched<T>(g.n, g.co, p.q, p.k, T(1), pw, 0, p.k, 1, px, p.k * p.q, p.q, 1, beta, po,
                    ostride, p.q, 1);
    return;
  }
  Array col = Array::empty({p.nb * p.k * p.tq}, out.dtype(), out.device());
  T* pc = col.data<T>();
  for (int64_t n0 = 0; n0 < g.n; n0 += p.nb) {
    const int64_t nb = std::min(p.nb, g.n - n0);
    for (int64_t q0 = 0; q0 < p.q; q0 += p.tq) {
      const int64_t tq = std::min(p.tq, p.q - q0);
      im2col<T>(geo, px + n0 * g.c * g.h * g.w, nb, q0, tq, pc, s);
      gemm_batched<T>(nb, g.co, tq, p.k, T(1), pw, 0, p.k, 1, pc, p.k * tq, tq, 1, beta,
                      po + n0 * ostride + q0, ostride, p.q, 1);
    }
  }
}

// ------------------------------------------------------------ backward

template <class T>
void bias_grad(const ConvGeometry& g, const T* gout, T* gb, const Array& like, cudaStream_t s) {
  const int64_t q = g.oh * g.ow;
  if (g.n == 0) {
    check(cudaMemsetAsync(gb, 0, g.co * sizeof(T), s), "conv2d: cudaMemsetAsync");
    return;
  }
  // Parts of the batch per channel: ~4 blocks per SM in all, and at most
  // per_part samples (under 2^31 elements) in each.
  const int64_t sms = sm_count(like.device().index);
  const int64_t per_part = std::max<int64_t>(1, ((int64_t(1) << 31) - 1) / q);
  int64_t parts = std::clamp<int64_t>((4 * sms + g.co - 1) / g.co, 1, g.n);
  parts = std::min<int64_t>({std::max(parts, (g.n + per_part - 1) / per_part), g.n, 65535});
  Array partial = Array::empty({g.co * parts}, DType::Float64, like.device());
  const dim3 grid(static_cast<unsigned>(g.co), static_cast<unsigned>(parts));
  bias_partial_kernel<T><<<grid, kThreads, 0, s>>>(gout, g.n, int(g.co), int(q), FastDiv(q),
                                                   int(parts), partial.data<double>());
  check_launch(kOp);
  bias_final_kernel<T><<<blocks_for(g.co), kThreads, 0, s>>>(partial.data<double>(), int(g.co),
                                                             int(parts), gb);
  check_launch(kOp);
}

// acc[lane] (+)= gout_n[:, q0:q0+tq] @ col_n^T for the nb samples from n0
// (col (nb, K, tq)); lane = n % lanes for whole samples, else the run is
// cut into pieces, one per lane (and a remainder added to lane 0). `first`:
// the accumulators are written, not added to.
template <class T>
void weight_grad(const ConvGeometry& g, const Plan& p, const T* gout, const T* col, int64_t n0,
                 int64_t nb, int64_t q0, int64_t tq, bool first, T* acc) {
  const int64_t ostride = g.co * p.q, wsize = g.co * p.k;
  const T* a = gout + n0 * ostride + q0;
  if (tq == p.q) {
    for (int64_t b0 = 0; b0 < nb; b0 += p.lanes) {
      const int64_t cnt = std::min(p.lanes, nb - b0);
      const T beta = first && b0 == 0 ? T(0) : T(1);
      gemm_batched<T>(cnt, g.co, p.k, tq, T(1), a + b0 * ostride, ostride, p.q, 1,
                      col + b0 * p.k * tq, p.k * tq, 1, tq, beta, acc, wsize, p.k, 1);
    }
    return;
  }
  const int64_t pieces = std::clamp<int64_t>(tq / kMinPiece, 1, p.lanes);
  const int64_t len = tq / pieces, rest = tq - pieces * len;
  gemm_batched<T>(pieces, g.co, p.k, len, T(1), a, len, p.q, 1, col, len, 1, tq,
                  first ? T(0) : T(1), acc, wsize, p.k, 1);
  if (rest > 0)
    gemm<T>(g.co, p.k, rest, T(1), a + pieces * len, p.q, 1, col + pieces * len, 1, tq, T(1),
            acc, p.k, 1);
}

template <class T>
void backward_impl(const ConvGeometry& g, const Array& gout, const Array& x, const Array& w,
                   const Array& gx, const Array& gw, const Array& gb) {
  check_sizes(g);
  DeviceGuard guard(gout);
  const cudaStream_t s = stream_of(gout);
  const Plan p = make_plan(g, sizeof(T), gout.device().index, gw.defined());
  const Geo geo = make_geo(g);
  const T* pg = gout.data<T>();
  const T* pw = w.data<T>();
  const int64_t ostride = g.co * p.q, xstride = g.c * g.h * g.w, wsize = g.co * p.k;
  T* pgx = gx.defined() ? gx.data<T>() : nullptr;
  T* pgw = gw.defined() ? gw.data<T>() : nullptr;

  if (gb.defined()) bias_grad<T>(g, pg, gb.data<T>(), gout, s);
  if (pgw && (g.n == 0 || p.k == 0)) {
    if (wsize > 0) check(cudaMemsetAsync(pgw, 0, wsize * sizeof(T), s), "conv2d: cudaMemsetAsync");
    pgw = nullptr;
  }
  if (pgx && (g.n == 0 || p.k == 0)) pgx = nullptr;  // gx is empty
  if (!pgx && !pgw) return;

  Array lanes;  // the weight-gradient accumulators; one lane is gw itself
  T* acc = pgw;
  if (pgw && p.lanes > 1) {
    lanes = Array::empty({p.lanes * wsize}, gout.dtype(), gout.device());
    acc = lanes.data<T>();
  }

  if (p.direct) {  // x_n is col_n, gx_n = W^T @ gout_n directly
    if (pgw) weight_grad<T>(g, p, pg, x.data<T>(), 0, g.n, 0, p.q, true, acc);
    if (pgx)
      gemm_batched<T>(g.n, p.k, p.q, g.co, T(1), pw, 0, 1, p.k, pg, ostride, p.q, 1, T(0), pgx,
                      xstride, p.q, 1);
  } else {
    if (pgx && p.tq < p.q)  // runs add into gx
      check(cudaMemsetAsync(pgx, 0, gx.numel() * sizeof(T), s), "conv2d: cudaMemsetAsync");
    Array col = Array::empty({p.nb * p.k * p.tq}, gout.dtype(), gout.device());
    T* pc = col.data<T>();
    const T* px = pgw ? x.data<T>() : nullptr;
    for (int64_t n0 = 0; n0 < g.n; n0 += p.nb) {
      const int64_t nb = std::min(p.nb, g.n - n0);
      for (int64_t q0 = 0; q0 < p.q; q0 += p.tq) {
        const int64_t tq = std::min(p.tq, p.q - q0);
        if (pgw) {
          im2col<T>(geo, px + n0 * xstride, nb, q0, tq, pc, s);
          weight_grad<T>(g, p, pg, pc, n0, nb, q0, tq, n0 == 0 && q0 == 0, acc);
        }
        if (pgx) {  // gcol = W^T @ gout (into the same buffer), then col2im
          gemm_batched<T>(nb, p.k, tq, g.co, T(1), pw, 0, 1, p.k, pg + n0 * ostride + q0,
                          ostride, p.q, 1, T(0), pc, p.k * tq, tq, 1);
          col2im<T>(geo, pc, nb, q0, tq, pgx + n0 * xstride, s);
        }
      }
    }
  }

  if (pgw && acc != pgw) {
    sum_lanes_kernel<T><<<blocks_for(wsize), kThreads, 0, s>>>(acc, wsize, int(p.lanes), pgw);
    check_launch(kOp);
  }
}

}  // namespace

void conv2d_forward(const ConvGeometry& g, const Array& x, const Array& w, const Array& bias,
                    const Array& out, bool relu) {
  visit_floating(out.dtype(), [&](auto t) {
    using T = decltype(t);
    forward_impl<T>(g, x, w, bias, out);
    if (!relu || out.numel() == 0) return;
    DeviceGuard guard(out);
    relu_kernel<T><<<blocks_for(out.numel()), kThreads, 0, stream_of(out)>>>(out.data<T>(),
                                                                            out.numel());
    check_launch(kOp);
  });
}

void conv2d_backward(const ConvGeometry& g, const Array& gout, const Array& x, const Array& w,
                     const Array& gx, const Array& gw, const Array& gb, const Array& relu_out) {
  visit_floating(gout.dtype(), [&](auto t) {
    using T = decltype(t);
    if (!relu_out.defined() || gout.numel() == 0)
      return backward_impl<T>(g, gout, x, w, gx, gw, gb);
    // The fused relu's gradient as one pass into a temporary.
    DeviceGuard guard(gout);
    Array masked = Array::empty(gout.shape(), gout.dtype(), gout.device());
    relu_mask_kernel<T><<<blocks_for(gout.numel()), kThreads, 0, stream_of(gout)>>>(
        gout.data<T>(), relu_out.data<T>(), gout.numel(), masked.data<T>());
    check_launch(kOp);
    backward_impl<T>(g, masked, x, w, gx, gw, gb);
  });
}

}  // namespace dc::cuda
