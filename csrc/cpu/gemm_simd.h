// The SIMD micro-kernels and packers of the GEMM, as templates over the
// vector width and the register tile. Included only by the translation units
// compiled for an ISA (gemm_avx2.cpp: -mavx2 -mfma; gemm_avx512.cpp: also
// -mavx512f -mavx512vl), each of which instantiates its own tiles; everything
// here has internal linkage (see gemm_kernel.h for why) and uses no
// standard-library templates.
//
// Math: an R x NV*W tile of C (W values per register), C = alpha * sum_p
// a[:, p] b[p, :] + beta * C, as k rank-1 updates held in R * NV accumulator
// registers. Per k step: NV vector loads of B, R broadcasts of A and R * NV
// FMAs. The tiles (in gemm_avx2.cpp / gemm_avx512.cpp) keep at least 8
// independent FMA chains, which covers 2 FMA pipes x 4-5 cycles of latency,
// and leave registers for the B vectors and a broadcast. Bytes: (R + NV*W)
// values per R*NV FMAs from the packed panels; C is read and written once per
// call (per KC block of k). The last rows of an m that is not a multiple of
// MR run the same kernel instantiated for fewer rows (with extra accumulator
// sets below 8 chains, see kSets), so an edge of r rows costs about r/MR of
// a tile rather than a whole one.
// Narrow C (n <= 8 float32 / 4 float64, AVX2 only): 12 x W tiles, one
// accumulator register per row, A read in place by broadcasts (12 per k
// step, + 1 load of packed B, for 12 FMAs) against B packed once; every
// value of A is loaded once, where the packed path would copy all of A first.
//
// References: K. Goto, R. van de Geijn, "Anatomy of high-performance matrix
// multiplication", ACM TOMS 34(3), 2008; F. Van Zee, R. van de Geijn, "BLIS:
// A framework for rapidly instantiating BLAS functionality", ACM TOMS 41(3),
// 2015 (the 6x16 / 6x8 Haswell kernels); T. Low et al., "Analytical modeling
// is enough for high-performance BLIS", ACM TOMS 43(2), 2016 (blocking).
#pragma once
#include "cpu/gemm_kernel.h"

#include <immintrin.h>

namespace dc::cpu::gemm_detail {

namespace {

// The operations the kernels need, for each register type.
template <class T>
struct Vec256;

template <>
struct Vec256<float> {
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
struct Vec256<double> {
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

#ifdef __AVX512F__
template <class T>
struct Vec512;

template <>
struct Vec512<float> {
  using R = __m512;
  static constexpr int kLanes = 16;
  static R zero() { return _mm512_setzero_ps(); }
  static R load(const float* p) { return _mm512_load_ps(p); }
  static R loadu(const float* p) { return _mm512_loadu_ps(p); }
  static void storeu(float* p, R v) { _mm512_storeu_ps(p, v); }
  static R bcast(const float* p) { return _mm512_set1_ps(*p); }  // folds into the FMA
  static R set1(float x) { return _mm512_set1_ps(x); }
  static R fmadd(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
};

template <>
struct Vec512<double> {
  using R = __m512d;
  static constexpr int kLanes = 8;
  static R zero() { return _mm512_setzero_pd(); }
  static R load(const double* p) { return _mm512_load_pd(p); }
  static R loadu(const double* p) { return _mm512_loadu_pd(p); }
  static void storeu(double* p, R v) { _mm512_storeu_pd(p, v); }
  static R bcast(const double* p) { return _mm512_set1_pd(*p); }
  static R set1(double x) { return _mm512_set1_pd(x); }
  static R fmadd(R a, R b, R c) { return _mm512_fmadd_pd(a, b, c); }
  static R mul(R a, R b) { return _mm512_mul_pd(a, b); }
  static R add(R a, R b) { return _mm512_add_pd(a, b); }
};
#endif

constexpr int kNarrowMR = 12;  // rows per tile of the narrow kernel

// Where a kernel reads A[i, p] for the i-th row of its tile at k step p + s
// (p: the steps already passed by `advance`): packed panels (k steps of MR
// values, gemm's main path) or a row-major A itself (the narrow kernel).
template <class T, int MR>
struct PanelA {
  const T* p;
  const T* at(int i, int s) const { return p + s * MR + i; }
  void advance(int s) { p += s * MR; }
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

// Rows in groups of KW taps (gemm_kernel.h, KernelTapsFn): row i of the
// tile is tap i % KW of group i / KW, at g[i / KW] + i % KW; one pointer
// per group, so the R broadcasts of a k step need R / KW registers. Tap j
// at step s reads what tap j + 1 read at step s - 1: left to itself the
// compiler keeps those broadcasts in registers across the unrolled steps
// and spills accumulators for them (58 stack accesses in the 12-row
// loop), so each step's group pointer goes through an empty asm that
// hides the relation.
template <class T, int G, int KW>
struct TapsA {
  const T* g[G];
  const T* at(int i, int s) const {
    const T* p = g[i / KW] + s;
    asm("" : "+r"(p));
    return p + i % KW;
  }
  void advance(int64_t s) {
#pragma GCC unroll 8
    for (int q = 0; q < G; ++q) g[q] += s;
  }
};

// A tile's accumulators: S sets of R x NV registers (see kSets).
template <class V, int R, int NV>
struct TileAcc {
  static constexpr int S = kSets<R * NV>;
  typename V::R c[S][R][NV];
};

template <class V, int R, int NV>
__attribute__((always_inline)) inline void tile_zero(TileAcc<V, R, NV>& t) {
#pragma GCC unroll 8
  for (int s = 0; s < t.S; ++s)
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) t.c[s][i][v] = V::zero();
}

// t += sum over k steps p of A[i, p] b[p, v*W : (v+1)*W] for the R rows of a
// tile, advancing a and b past them: the k loop of every kernel here. b
// holds k steps of NV * W values, ldb apart (packed panels, or B itself read
// in place: unaligned loads, which cost nothing more on aligned data).
template <class V, int R, int NV, class A, class T>
__attribute__((always_inline)) inline void tile_steps(int64_t k, A& a, const T*& b, int64_t ldb,
                                                      TileAcc<V, R, NV>& t) {
  using Reg = typename V::R;
  constexpr int W = V::kLanes, S = TileAcc<V, R, NV>::S;
  // One k step (s ahead of the current one) into accumulator set s.
  auto step = [&](int s) __attribute__((always_inline)) {
    Reg bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = V::loadu(b + s * ldb + v * W);
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) {
      const Reg ai = V::bcast(a.at(i, s));
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) t.c[s][i][v] = V::fmadd(ai, bv[v], t.c[s][i][v]);
    }
  };
  int64_t p = 0;
#pragma GCC unroll 4
  for (; p + S <= k; p += S, a.advance(S), b += S * ldb)
#pragma GCC unroll 8
    for (int s = 0; s < S; ++s) step(s);
  for (; p < k; ++p, a.advance(1), b += ldb) step(0);
}

// acc = the sum of t's sets.
template <class V, int R, int NV>
__attribute__((always_inline)) inline void tile_reduce(const TileAcc<V, R, NV>& t,
                                                       typename V::R (&acc)[R][NV]) {
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      acc[i][v] = t.c[0][i][v];
#pragma GCC unroll 8
      for (int s = 1; s < t.S; ++s) acc[i][v] = V::add(acc[i][v], t.c[s][i][v]);
    }
}

// acc[i][v] = sum_p A[i, p] b[p, v*W : (v+1)*W] over k steps.
template <class V, int R, int NV, class A, class T>
__attribute__((always_inline)) inline void tile_sums(int64_t k, A a, const T* b, int64_t ldb,
                                                     typename V::R (&acc)[R][NV]) {
  TileAcc<V, R, NV> t;
  tile_zero(t);
  tile_steps(k, a, b, ldb, t);
  tile_reduce(t, acc);
}

// C tile = alpha * acc + beta * C (beta == 0: C is not read).
template <class V, int R, int NV, class T>
__attribute__((always_inline)) inline void store_tile(const typename V::R (&acc)[R][NV], T* c,
                                                      int64_t rsc, T alpha, T beta) {
  using Reg = typename V::R;
  constexpr int W = V::kLanes;
  const Reg va = V::set1(alpha), vb = V::set1(beta);
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      T* ci = c + i * rsc + v * W;
      const Reg r = V::mul(acc[i][v], va);
      V::storeu(ci, beta == T(0) ? r : V::fmadd(V::loadu(ci), vb, r));
    }
}

// The packed path: the first R (<= MR) rows of an MR x NV*W tile; R = MR is
// the main kernel, R < MR the m % MR edge.
template <class V, int MR, int NV, int R, class T>
void kernel_tile(int64_t k, const T* a, const T* b, int64_t ldb, T* c, int64_t rsc, T alpha,
                 T beta) {
  constexpr int NB = NV * V::kLanes, kLine = 64 / int(sizeof(T));
  // The tile of C is needed at the end: start fetching it now (every cache
  // line a row may touch, the row need not be aligned).
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < NB; j += kLine)
      _mm_prefetch(reinterpret_cast<const char*>(c + i * rsc + j), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * rsc + NB - 1), _MM_HINT_T0);
  }
  typename V::R acc[R][NV];
  tile_sums<V, R, NV>(k, PanelA<T, MR>{a}, b, ldb, acc);
  store_tile<V>(acc, c, rsc, alpha, beta);
}

// The narrow path: R rows of C[:, 0:n], n <= W, from a row-major A in place
// and B packed as k steps of W values (zero past n).
template <class T, int R>
void narrow_tile(int64_t k, const T* a, int64_t rsa, const T* b, T* c, int64_t rsc,
                 int64_t csc, int64_t n, T alpha, T beta) {
  using V = Vec256<T>;
  using Reg = typename V::R;
  constexpr int W = V::kLanes;
  Reg acc[R][1];
  tile_sums<V, R, 1>(k, RowsA<T>{a, rsa}, b, W, acc);
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
void narrow_kernel(int64_t m, int64_t k, const T* a, int64_t rsa, const T* b, T* c,
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
// these move whole 256-bit registers for the layouts GEMM meets most:
// row-major A (and B^T, i.e. x @ W^T's W) through in-register 8x8 (float)
// or 4x4 (double) transposes, column-major A and row-major B by straight
// copies. Partial panels and other strides use the generic code.

// Transposes the 8x8 block rows r[0..7] in place: r[q] becomes column q.
inline void transpose(__m256 r[8]) {
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
inline void transpose(__m256d r[4]) {
  const __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
  const __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
  r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
  r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
  r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
  r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

// dst[p*MR + i] = x[i][p] for the MR rows x[] and p in [p0, p0 + W): one
// register width of k of a panel of row-major A, W rows at a time through a
// transpose (rows past MR read as zero). Each column's stores run up to W - 1
// values past its MR (when W does not divide MR); the next column's stores,
// made later, overwrite them, and past the panel the driver leaves slack.
template <class T, int MR>
inline void rows_step(const T* const x[MR], int64_t p0, T* dst) {
  using V = Vec256<T>;
  constexpr int W = V::kLanes, G = (MR + W - 1) / W;
  typename V::R r[G][W];
#pragma GCC unroll 4
  for (int g = 0; g < G; ++g) {
#pragma GCC unroll 8
    for (int i = 0; i < W; ++i) r[g][i] = g * W + i < MR ? V::loadu(x[g * W + i] + p0) : V::zero();
    transpose(r[g]);
  }
#pragma GCC unroll 8
  for (int q = 0; q < W; ++q)
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) V::storeu(dst + (p0 + q) * MR + g * W, r[g][q]);
}

template <class T, int MR>
void pack_a_simd(int64_t mc, int64_t kc, const T* a, int64_t rsa, int64_t csa, T* dst) {
  constexpr int W = Vec256<T>::kLanes;
  if (csa != 1 && rsa != 1) return pack_a_generic<T, MR>(mc, kc, a, rsa, csa, dst);
  const int64_t full = mc / MR;
  if (rsa == 1) {
    // Column-major: each k step of a panel is MR contiguous values; walk k
    // outermost so that A is read along its columns, one column per step.
    for (int64_t p = 0; p < kc; ++p)
      for (int64_t q = 0; q < full; ++q) {
        const T* src = a + q * MR + p * csa;
        T* d = dst + q * MR * kc + p * MR;
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) d[i] = src[i];
      }
  }
  int64_t r0 = 0;
  for (; r0 + MR <= mc; r0 += MR, dst += MR * kc) {
    if (rsa == 1) continue;
    const T* ar = a + r0 * rsa;
    const T* x[MR];
    for (int i = 0; i < MR; ++i) x[i] = ar + i * rsa;
    int64_t p = 0;
    for (; p + W <= kc; p += W) rows_step<T, MR>(x, p, dst);
    for (; p < kc; ++p)
      for (int i = 0; i < MR; ++i) dst[p * MR + i] = x[i][p];
  }
  if (r0 < mc) pack_a_generic<T, MR>(mc - r0, kc, a + r0 * rsa, rsa, csa, dst);
}

// B panels of NR columns (a multiple of W). Row-major B: NR / W register
// copies per k step. Column-major B (B = W^T of a row-major weight): W-row
// blocks of B^T transposed in registers, NR / W per k step.
template <class T, int NR>
void pack_b_simd(int64_t kc, int64_t nc, const T* b, int64_t rsb, int64_t csb, T* dst) {
  using V = Vec256<T>;
  constexpr int W = V::kLanes, H = NR / W;
  static_assert(NR % W == 0, "B panels are whole registers wide");
  if (csb != 1 && rsb != 1) return pack_b_generic<T, NR>(kc, nc, b, rsb, csb, dst);
  const int64_t full = nc / NR;
  if (csb == 1) {
    // Row-major: B is read along its rows, 4 rows at a time, so that each
    // visit to a panel writes 4 consecutive k steps (contiguous bytes).
    constexpr int kRows = 4;
    for (int64_t p0 = 0; p0 < kc; p0 += kRows) {
      const int rows = kc - p0 < kRows ? int(kc - p0) : kRows;
      for (int64_t q = 0; q < full; ++q) {
        T* d = dst + q * NR * kc + p0 * NR;
        for (int r = 0; r < rows; ++r) {
          const T* src = b + (p0 + r) * rsb + q * NR;
#pragma GCC unroll 8
          for (int h = 0; h < H; ++h) V::storeu(d + r * NR + h * W, V::loadu(src + h * W));
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
      for (int h = 0; h < H; ++h) {
        typename V::R r[W];
        for (int j = 0; j < W; ++j) r[j] = V::loadu(bj + (h * W + j) * csb + p);
        transpose(r);
        for (int q = 0; q < W; ++q) V::storeu(dst + (p + q) * NR + h * W, r[q]);
      }
    }
    for (; p < kc; ++p)
      for (int j = 0; j < NR; ++j) dst[p * NR + j] = bj[j * csb + p];
  }
  if (j0 < nc) pack_b_generic<T, NR>(kc, nc - j0, b + j0 * csb, rsb, csb, dst);
}

// The same tile with A read in place: R rows of a row-major A, lda apart.
// The R broadcasts of a k step come from R rows (lines reused for the next
// 64 / sizeof(T) steps), where the packed path reads one contiguous panel;
// used when each value of A would be used by too few B micro-panels to pay
// for packing it (gemm.cpp).
template <class V, int NV, int R, class T>
void kernel_rows_tile(int64_t k, const T* a, int64_t lda, const T* b, int64_t ldb, T* c,
                      int64_t rsc, T alpha, T beta) {
  typename V::R acc[R][NV];
  tile_sums<V, R, NV>(k, RowsA<T>{a, lda}, b, ldb, acc);
  store_tile<V>(acc, c, rsc, alpha, beta);
}

// The same tile with A's rows in groups of kTaps read from a convolution's
// input (KernelTapsFn): the k steps of each output row r from base + r *
// jump, one accumulation across all of them.
template <class V, int NV, int R, class T>
void kernel_taps_tile(int64_t runs, int64_t run, int64_t jump, const T* const* base,
                      const T* b, int64_t ldb, T* c, int64_t rsc, T alpha, T beta) {
  constexpr int G = R / kTaps;
  TapsA<T, G, kTaps> a;
#pragma GCC unroll 8
  for (int q = 0; q < G; ++q) a.g[q] = base[q];
  TileAcc<V, R, NV> t;
  tile_zero(t);
  for (int64_t r = 0; r < runs; ++r) {
    tile_steps(run, a, b, ldb, t);
    a.advance(jump - run);
  }
  typename V::R acc[R][NV];
  tile_reduce(t, acc);
  store_tile<V>(acc, c, rsc, alpha, beta);
}

// kernels[r - 1] = the kernel for the first r rows of an MR x NV*W tile,
// for r = 1..R (and taps[r / kTaps - 1] for r a multiple of kTaps).
template <class V, int MR, int NV, int R, class T>
void fill_kernels(KernelFn<T>* kernels, KernelRowsFn<T>* rows, KernelTapsFn<T>* taps) {
  kernels[R - 1] = &kernel_tile<V, MR, NV, R, T>;
  rows[R - 1] = &kernel_rows_tile<V, NV, R, T>;
  if constexpr (R % kTaps == 0) taps[R / kTaps - 1] = &kernel_taps_tile<V, NV, R, T>;
  if constexpr (R > 1) fill_kernels<V, MR, NV, R - 1>(kernels, rows, taps);
}

// The MicroKernel of an MR x NV*W tile of V's registers with its packers and
// its cache blocking (narrow: the narrow-C kernel, or nullptr).
template <class V, int MR, int NV, class T>
MicroKernel<T> make_microkernel(const char* name, int64_t mc, int64_t kc, int64_t nc,
                                decltype(MicroKernel<T>::narrow) narrow) {
  static_assert(MR <= kMaxMR && NV * V::kLanes <= kMaxNR<T>, "the driver's edge tile is too small");
  constexpr int NR = NV * V::kLanes;
  static_assert(MR % kTaps == 0, "tap-grouped rows fill whole tiles");
  MicroKernel<T> uk = {name, MR, NR, mc, kc, nc, {}, {}, {}, &pack_a_simd<T, MR>,
                       &pack_b_simd<T, NR>, narrow ? kNarrowMR : 0, narrow};
  fill_kernels<V, MR, NV, MR>(uk.kernel, uk.kernel_rows, uk.kernel_taps);
  return uk;
}

}  // namespace

}  // namespace dc::cpu::gemm_detail
