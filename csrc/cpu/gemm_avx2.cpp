// AVX2+FMA micro-kernels for gemm.cpp: this file alone is compiled with
// -mavx2 -mfma (CMakeLists.txt) and is only called after a run-time CPU check.
//
// Math: a 6 x 2W tile of C (W = 8 floats or 4 doubles per 256-bit register),
// C = alpha * sum_p a[:, p] b[p, :] + beta * C, as k rank-1 updates held in
// 12 accumulator registers. Per k step: 2 vector loads of B, 6 broadcasts of
// A and 12 FMAs (192 float32 / 96 float64 FLOPs): 15 of the 16 ymm registers
// in use (12 accumulators, 2 B vectors, 1 broadcast). 12 independent FMA
// chains cover Zen 3's 2 FMA pipes x 4-cycle latency (8 needed) and Haswell's
// 2 x 5. Loads: 8 per 6 cycles of FMAs against 2-3 load ports, so the kernel
// is FMA bound when its operands come from L1 (B micro-panel) and L2 (A).
// Bytes: (6 + 2W) values per 12 FMAs from the packed panels; C is read and
// written once per call (per KC block of k). The last rows of an m that is
// not a multiple of 6 run the same kernel instantiated for 1-5 rows (with
// extra accumulator sets below 4 rows, see kSets), so an edge of r rows
// costs about r/6 of a tile rather than a whole one.
// Narrow C (n <= W): 12 x W tiles, one accumulator register per row, A read
// in place by broadcasts (12 per k step, + 1 load of packed B, for 12 FMAs:
// within 2-3 loads per cycle) against B packed once; every value of A is
// loaded once, where the packed path would copy all of A first.
//
// References: K. Goto, R. van de Geijn, "Anatomy of high-performance matrix
// multiplication", ACM TOMS 34(3), 2008; F. Van Zee, R. van de Geijn, "BLIS:
// A framework for rapidly instantiating BLAS functionality", ACM TOMS 41(3),
// 2015 (the 6x16 / 6x8 Haswell kernels); T. Low et al., "Analytical modeling
// is enough for high-performance BLIS", ACM TOMS 43(2), 2016 (blocking).
//
// See gemm_kernel.h for why nothing here may be shared with baseline code.
#include "cpu/gemm_kernel.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

namespace dc::cpu::gemm_detail {

namespace {

// The operations the kernel needs, for each element type.
template <class T>
struct Vec;

template <>
struct Vec<float> {
  using R = __m256;
  static constexpr int kLanes = 8;
  static R zero() { return _mm256_setzero_ps(); }
  static R load(const float* p) { return _mm256_load_ps(p); }
  static R loadu(const float* p) { return _mm256_loadu_ps(p); }
  static void storeu(float* p, R v) { _mm256_storeu_ps(p, v); }
  static R bcast(const float* p) { return _mm256_broadcast_ss(p); }
  static R set1(float x) { return _mm256_set1_ps(x); }
  static R fmadd(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
};

template <>
struct Vec<double> {
  using R = __m256d;
  static constexpr int kLanes = 4;
  static R zero() { return _mm256_setzero_pd(); }
  static R load(const double* p) { return _mm256_load_pd(p); }
  static R loadu(const double* p) { return _mm256_loadu_pd(p); }
  static void storeu(double* p, R v) { _mm256_storeu_pd(p, v); }
  static R bcast(const double* p) { return _mm256_broadcast_sd(p); }
  static R set1(double x) { return _mm256_set1_pd(x); }
  static R fmadd(R a, R b, R c) { return _mm256_fmadd_pd(a, b, c); }
  static R mul(R a, R b) { return _mm256_mul_pd(a, b); }
  static R add(R a, R b) { return _mm256_add_pd(a, b); }
};

constexpr int kMR = 6;
constexpr int kNarrowMR = 12;  // rows per tile of the narrow kernel

// Where a kernel reads A[i, p] for the i-th row of its tile at k step p + s
// (p: the steps already passed by `advance`): packed panels (k steps of kMR
// values, gemm's main path) or a row-major A itself (the narrow kernel).
template <class T>
struct PanelA {
  const T* p;
  const T* at(int i, int s) const { return p + s * kMR + i; }
  void advance(int s) { p += s * kMR; }
};

template <class T>
struct RowsA {
  const T* p;
  int64_t rs;
  const T* at(int i, int s) const { return p + i * rs + s; }
  void advance(int s) { p += s; }
};

// A tile of R rows x NV registers has R * NV independent FMA chains in its k
// loop; 2 FMA pipes x 4-5 cycles of latency need 8 to stay busy. Smaller
// tiles (edges, narrow C) would wait on the latency, so they keep S sets of
// accumulators that take alternate k steps and are summed at the end.
template <int Chains>
constexpr int kSets = Chains >= 8 ? 1 : (8 + Chains - 1) / Chains;

// acc[i][v] = sum_p A[i, p] b[p, v*W : (v+1)*W] for the R rows of a tile:
// the k loop of every kernel here. b holds k steps of NV * W values, 32-byte
// aligned. Per step: NV vector loads of b, R broadcasts of A, R * NV FMAs.
template <class T, int R, int NV, class A>
__attribute__((always_inline)) inline void tile_sums(int64_t k, A a, const T* b,
                                                     typename Vec<T>::R (&acc)[R][NV]) {
  using V = Vec<T>;
  using Reg = typename V::R;
  constexpr int W = V::kLanes, S = kSets<R * NV>, NB = NV * W;
  Reg c[S][R][NV];
#pragma GCC unroll 8
  for (int s = 0; s < S; ++s)
#pragma GCC unroll 12
    for (int i = 0; i < R; ++i)
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) c[s][i][v] = V::zero();
  // One k step (s ahead of the current one) into accumulator set s.
  auto step = [&](int s) __attribute__((always_inline)) {
    Reg bv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) bv[v] = V::load(b + s * NB + v * W);
#pragma GCC unroll 12
    for (int i = 0; i < R; ++i) {
      const Reg ai = V::bcast(a.at(i, s));
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) c[s][i][v] = V::fmadd(ai, bv[v], c[s][i][v]);
    }
  };
  int64_t p = 0;
#pragma GCC unroll 4
  for (; p + S <= k; p += S, a.advance(S), b += S * NB)
#pragma GCC unroll 8
    for (int s = 0; s < S; ++s) step(s);
  for (; p < k; ++p, a.advance(1), b += NB) step(0);
#pragma GCC unroll 12
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      acc[i][v] = c[0][i][v];
#pragma GCC unroll 8
      for (int s = 1; s < S; ++s) acc[i][v] = V::add(acc[i][v], c[s][i][v]);
    }
}

// The packed path: the first R (<= kMR) rows of a kMR x 2W tile; R = kMR is
// the main kernel, R < kMR the m % kMR edge.
template <class T, int R>
void kernel_rx2w(int64_t k, const T* a, const T* b, T* c, int64_t rsc, T alpha, T beta) {
  using V = Vec<T>;
  using Reg = typename V::R;
  constexpr int W = V::kLanes;
  // The tile of C is needed at the end: start fetching it now.
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * rsc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * rsc + 2 * W - 1), _MM_HINT_T0);
  }
  Reg acc[R][2];
  tile_sums<T, R, 2>(k, PanelA<T>{a}, b, acc);
  const Reg va = V::set1(alpha);
  if (beta == T(0)) {
#pragma GCC unroll 6
    for (int i = 0; i < R; ++i) {
      V::storeu(c + i * rsc, V::mul(acc[i][0], va));
      V::storeu(c + i * rsc + W, V::mul(acc[i][1], va));
    }
  } else {
    const Reg vb = V::set1(beta);
#pragma GCC unroll 6
    for (int i = 0; i < R; ++i) {
      T* ci = c + i * rsc;
      V::storeu(ci, V::fmadd(acc[i][0], va, V::mul(V::loadu(ci), vb)));
      V::storeu(ci + W, V::fmadd(acc[i][1], va, V::mul(V::loadu(ci + W), vb)));
    }
  }
}

// The narrow path: R rows of C[:, 0:n], n <= W, from a row-major A in place
// and B packed as k steps of W values (zero past n).
template <class T, int R>
void narrow_tile(int64_t k, const T* a, int64_t rsa, const T* b, T* c, int64_t rsc,
                 int64_t csc, int64_t n, T alpha, T beta) {
  using V = Vec<T>;
  using Reg = typename V::R;
  constexpr int W = V::kLanes;
  Reg acc[R][1];
  tile_sums<T, R, 1>(k, RowsA<T>{a, rsa}, b, acc);
  const Reg va = V::set1(alpha);
  for (int i = 0; i < R; ++i) {
    T* ci = c + i * rsc;
    const Reg v = V::mul(acc[i][0], va);
    if (n == W && csc == 1) {
      V::storeu(ci, beta == T(0) ? v : V::fmadd(V::loadu(ci), V::set1(beta), v));
    } else {
      T t[W];
      V::storeu(t, v);
      for (int64_t j = 0; j < n; ++j) ci[j * csc] = beta == T(0) ? t[j] : t[j] + beta * ci[j * csc];
    }
  }
}

// The last m % kNarrowMR rows: the tile instantiated for that many.
template <class T, int R>
void narrow_edge(int64_t rows, int64_t k, const T* a, int64_t rsa, const T* b,
                 T* c, int64_t rsc, int64_t csc, int64_t n, T alpha, T beta) {
  if (rows == R) return narrow_tile<T, R>(k, a, rsa, b, c, rsc, csc, n, alpha, beta);
  if constexpr (R > 1) narrow_edge<T, R - 1>(rows, k, a, rsa, b, c, rsc, csc, n, alpha, beta);
}

template <class T>
void narrow_avx2(int64_t m, int64_t k, const T* a, int64_t rsa, const T* b, T* c,
                 int64_t rsc, int64_t csc, int64_t n, T alpha, T beta) {
  int64_t i = 0;
  for (; i + kNarrowMR <= m; i += kNarrowMR)
    narrow_tile<T, kNarrowMR>(k, a + i * rsa, rsa, b, c + i * rsc, rsc, csc, n, alpha, beta);
  if (i < m)
    narrow_edge<T, kNarrowMR - 1>(m - i, k, a + i * rsa, rsa, b, c + i * rsc, rsc, csc, n,
                                  alpha, beta);
}

// ------------------------------------------------------------------ packing
//
// The generic packers (gemm_kernel.h) move one value per load and store;
// these move whole registers for the layouts GEMM meets most: row-major A
// (and B^T, i.e. x @ W^T's W) through in-register 8x8 (float) or 4x4
// (double) transposes, column-major A and row-major B by straight copies.
// Partial panels and other strides use the generic code.

// Transposes the 8x8 block rows r[0..7] in place: r[q] becomes column q.
inline void transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// Transposes the 4x4 block rows r[0..3] in place: r[q] becomes column q.
inline void transpose4(__m256d r[4]) {
  const __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
  const __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
  r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
  r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
  r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
  r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

// dst[p*6 + i] = x[i][p] for p in [p0, p0 + 8) (float) or [p0, p0 + 4)
// (double): a 6-row panel of row-major A, one register width of k.
inline void rows6_step(const float* const x[6], int64_t p0, float* dst) {
  __m256 r[8];
  for (int i = 0; i < 6; ++i) r[i] = _mm256_loadu_ps(x[i] + p0);
  r[6] = r[7] = _mm256_setzero_ps();
  transpose8(r);
  // Column q has 6 useful values; 8-wide stores overlap the next column's
  // start, rewritten by the next store (the last one runs 2 values past the
  // step: the driver leaves slack after the A buffer).
  for (int q = 0; q < 8; ++q) _mm256_storeu_ps(dst + (p0 + q) * 6, r[q]);
}

inline void rows6_step(const double* const x[6], int64_t p0, double* dst) {
  __m256d r[4];
  for (int i = 0; i < 4; ++i) r[i] = _mm256_loadu_pd(x[i] + p0);
  transpose4(r);
  const __m256d r4 = _mm256_loadu_pd(x[4] + p0), r5 = _mm256_loadu_pd(x[5] + p0);
  const __m256d lo = _mm256_unpacklo_pd(r4, r5), hi = _mm256_unpackhi_pd(r4, r5);
  const __m128d tail[4] = {_mm256_castpd256_pd128(lo), _mm256_castpd256_pd128(hi),
                           _mm256_extractf128_pd(lo, 1), _mm256_extractf128_pd(hi, 1)};
  for (int q = 0; q < 4; ++q) {
    _mm256_storeu_pd(dst + (p0 + q) * 6, r[q]);
    _mm_storeu_pd(dst + (p0 + q) * 6 + 4, tail[q]);
  }
}

// dst[0:6] = src[0:6] without touching memory past either end.
inline void copy6(const float* src, float* dst) {
  _mm_storeu_ps(dst, _mm_loadu_ps(src));
  _mm_store_sd(reinterpret_cast<double*>(dst + 4), _mm_load_sd(reinterpret_cast<const double*>(src + 4)));
}
inline void copy6(const double* src, double* dst) {
  _mm256_storeu_pd(dst, _mm256_loadu_pd(src));
  _mm_storeu_pd(dst + 4, _mm_loadu_pd(src + 4));
}

template <class T>
void pack_a_avx2(int64_t mc, int64_t kc, const T* a, int64_t rsa, int64_t csa, T* dst) {
  constexpr int W = Vec<T>::kLanes;
  if (csa != 1 && rsa != 1) return pack_a_generic<T, kMR>(mc, kc, a, rsa, csa, dst);
  const int64_t full = mc / kMR;
  if (rsa == 1) {
    // Column-major: each k step of a panel is 6 contiguous values; walk k
    // outermost so that A is read along its columns, one column per step.
    for (int64_t p = 0; p < kc; ++p)
      for (int64_t q = 0; q < full; ++q) copy6(a + q * kMR + p * csa, dst + q * kMR * kc + p * kMR);
  }
  int64_t r0 = 0;
  for (; r0 + kMR <= mc; r0 += kMR, dst += kMR * kc) {
    if (rsa == 1) continue;
    const T* ar = a + r0 * rsa;
    const T* x[kMR];
    for (int i = 0; i < kMR; ++i) x[i] = ar + i * rsa;
    int64_t p = 0;
    for (; p + W <= kc; p += W) rows6_step(x, p, dst);
    for (; p < kc; ++p)
      for (int i = 0; i < kMR; ++i) dst[p * kMR + i] = x[i][p];
  }
  if (r0 < mc) pack_a_generic<T, kMR>(mc - r0, kc, a + r0 * rsa, rsa, csa, dst);
}

// B panels of NR = 2W columns. Row-major B: two register copies per k step.
// Column-major B (B = W^T of a row-major weight): W-row blocks of W^T
// transposed in registers, two per k step.
template <class T>
void pack_b_avx2(int64_t kc, int64_t nc, const T* b, int64_t rsb, int64_t csb, T* dst) {
  using V = Vec<T>;
  constexpr int W = V::kLanes, NR = 2 * W;
  if (csb != 1 && rsb != 1) return pack_b_generic<T, NR>(kc, nc, b, rsb, csb, dst);
  const int64_t full = nc / NR;
  if (csb == 1) {
    // Row-major: B is read along its rows, 4 rows at a time, so that each
    // visit to a panel writes 4 consecutive k steps (256 contiguous bytes).
    constexpr int kRows = 4;
    for (int64_t p0 = 0; p0 < kc; p0 += kRows) {
      const int rows = kc - p0 < kRows ? int(kc - p0) : kRows;
      for (int64_t q = 0; q < full; ++q) {
        T* d = dst + q * NR * kc + p0 * NR;
        for (int r = 0; r < rows; ++r) {
          const T* src = b + (p0 + r) * rsb + q * NR;
          V::storeu(d + r * NR, V::loadu(src));
          V::storeu(d + r * NR + W, V::loadu(src + W));
        }
      }
    }
  }
  int64_t j0 = 0;
  for (; j0 + NR <= nc; j0 += NR, dst += NR * kc) {
    if (csb == 1) continue;
    const T* bj = b + j0 * csb;
    int64_t p = 0;
    for (; p + W <= kc; p += W) {
      for (int h = 0; h < 2; ++h) {
        typename V::R r[W];
        for (int j = 0; j < W; ++j) r[j] = V::loadu(bj + (h * W + j) * csb + p);
        if constexpr (W == 8) {
          transpose8(r);
        } else {
          transpose4(r);
        }
        for (int q = 0; q < W; ++q) V::storeu(dst + (p + q) * NR + h * W, r[q]);
      }
    }
    for (; p < kc; ++p)
      for (int j = 0; j < NR; ++j) dst[p * NR + j] = bj[j * csb + p];
  }
  if (j0 < nc) pack_b_generic<T, NR>(kc, nc - j0, b + j0 * csb, rsb, csb, dst);
}

// Cache blocking MC / KC / NC (the reasoning and measurements are at the
// top of gemm.cpp): the kc x 16 (float32) or kc x 8 (float64) B micro-panel
// (48 KiB) and the mc x kc A block (216 KiB) in L2, the kc x nc B panel
// (6 / 8 MiB) in L3.
const MicroKernel<float> kAvx2F32 = {
    "avx2", kMR, 16, 72, 768, 2048,
    {&kernel_rx2w<float, 1>, &kernel_rx2w<float, 2>, &kernel_rx2w<float, 3>,
     &kernel_rx2w<float, 4>, &kernel_rx2w<float, 5>, &kernel_rx2w<float, 6>},
    &pack_a_avx2<float>, &pack_b_avx2<float>, kNarrowMR, &narrow_avx2<float>};

const MicroKernel<double> kAvx2F64 = {
    "avx2", kMR, 8, 36, 768, 1360,
    {&kernel_rx2w<double, 1>, &kernel_rx2w<double, 2>, &kernel_rx2w<double, 3>,
     &kernel_rx2w<double, 4>, &kernel_rx2w<double, 5>, &kernel_rx2w<double, 6>},
    &pack_a_avx2<double>, &pack_b_avx2<double>, kNarrowMR, &narrow_avx2<double>};

}  // namespace

template <>
const MicroKernel<float>& avx2_kernel<float>() { return kAvx2F32; }
template <>
const MicroKernel<double>& avx2_kernel<double>() { return kAvx2F64; }

}  // namespace dc::cpu::gemm_detail

#endif
