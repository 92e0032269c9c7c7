// CPU kernels for csrc/ops/activation.h (activations, softmax, dropout), and
// the branch-free exp used by them and by the loss kernels.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <algorithm>
#include <limits>
#include <type_traits>
#include "core/array.h"
#include "cpu/isa.h"
#include "ops/activation.h"

namespace dc::cpu {

// ---------------------------------------------------------------- vector math
// c ? a : b as a bit blend. With GCC's default -ftrapping-math a plain ?: whose
// arms compute anything is not if-converted, and the loop around it stays
// scalar; this form vectorises (float; double loops may stay scalar on SSE2).
template <class T> struct BitsOf;
template <> struct BitsOf<float> { using type = int32_t; };
template <> struct BitsOf<double> { using type = int64_t; };
template <class T> inline T select(bool c, T a, T b) {
  using B = typename BitsOf<T>::type;
  B m = -B(c), ab, bb;
  std::memcpy(&ab, &a, sizeof(T));
  std::memcpy(&bb, &b, sizeof(T));
  B r = (ab & m) | (bb & ~m);
  T out;
  std::memcpy(&out, &r, sizeof(T));
  return out;
}

// exp(x) and expm1(x) for x <= 0 (and NaN), float32: written without branches
// or calls so that loops over them vectorise (std::expf never does without
// -ffast-math). Softmax, log-softmax, cross-entropy and ELU only need x <= 0.
// Both reduce x = n ln2 + r, |r| <= ln2/2 (Cody-Waite, n rounded by adding
// 1.5 * 2^23), and put 2^n together in exponent bits; results come out right
// down through the subnormals (then 0), and NaN passes through.
//   exp:   2^-64 exp(r) by a degree-6 polynomial (Chebyshev-node fit of
//          exp on [-ln2/2, ln2/2], its coefficients scaled by 2^-64, an
//          exact change), times 2^(n + 64), a normal number for every n >=
//          -150: one rounding, into the subnormals too. 15 vector operations
//          (the expm1 form below takes 24): softmax's exp pass, measured
//          alone, went 0.39 -> 0.26 ns/elem with AVX2 and 0.28 -> 0.21 with
//          AVX-512 (Emerald Rapids, 1 thread). Max relative error 8.8e-8.
//   expm1: expm1(r) by its Taylor series to degree 7 (truncation r^8/8! <
//          6e-9 relative), 2^n as 2^(n>>1) * 2^(n-(n>>1)) so that subnormal
//          scales are exact, and expm1(x) = 2^n expm1(r) + (2^n - 1) (no
//          cancellation: n = 0 for |x| < ln2/2, where the result is r's
//          series itself). Max relative error 1e-7 (1 ulp).
// Float64 uses the C library (its loops do not vectorise on SSE2 anyway, for
// lack of packed int64 conversions).
namespace expf_detail {
constexpr float lo = -104.0f;  // exp(-104) is below half the smallest subnormal
constexpr float log2e = 1.44269504088896341f;
constexpr float ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
constexpr float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
constexpr float c[8] = {1.0f, 1.0f, 1.0f / 2, 1.0f / 6, 1.0f / 24, 1.0f / 120, 1.0f / 720,
                        1.0f / 5040};  // 1/k!
constexpr float two_m64 = 5.42101086242752217e-20f;  // 2^-64
// exp(r) ~ sum e[k] r^k on |r| <= ln2/2 (polynomial error 2.5e-9), times 2^-64.
constexpr float e[7] = {two_m64,           1.000000038e+00f * two_m64, 5.000000047e-01f * two_m64,
                        1.666641551e-01f * two_m64, 4.166635290e-02f * two_m64,
                        8.375126398e-03f * two_m64, 1.394110844e-03f * two_m64};

inline float pow2(int32_t n) {  // 2^n for a normal exponent n
  int32_t b = (n + 127) << 23;
  float s;
  std::memcpy(&s, &b, sizeof s);
  return s;
}

// The reduction shared by both: r, and n as an integer (the low mantissa
// bits of x log2e + magic).
struct Reduced {
  float r;
  int32_t ni;
};

inline Reduced reduce(float x) {
  // The clamp is a bit blend too: with ?: GCC threads a branch around the rest.
  const float xc = select(x < lo, lo, x);  // NaN compares false and passes through
  const float t = xc * log2e + magic;
  const float n = t - magic;
  int32_t tb, mb;
  const float mg = magic;
  std::memcpy(&tb, &t, sizeof t);
  std::memcpy(&mb, &mg, sizeof mg);
  return {(xc - n * ln2_hi) - n * ln2_lo, tb - mb};
}

// k * 2^-64 exp(r) by e[]'s polynomial; k is a power of two (an exact change).
inline float exp_poly(float r, float k) {
  float p = e[6] * k;
  p = p * r + e[5] * k;
  p = p * r + e[4] * k;
  p = p * r + e[3] * k;
  p = p * r + e[2] * k;
  p = p * r + e[1] * k;
  return p * r + e[0] * k;
}

inline float exp_nonpos(float x) {
  const Reduced d = reduce(x);
  return exp_poly(d.r, 1.0f) * pow2(d.ni + 64);
}

inline float expm1_nonpos(float x) {
  const Reduced d = reduce(x);
  const float r = d.r;
  const float s = pow2(d.ni >> 1) * pow2(d.ni - (d.ni >> 1));
  float p = c[7];  // expm1(r) = r (1 + r (1/2! + r (1/3! + ...)))
  p = p * r + c[6];
  p = p * r + c[5];
  p = p * r + c[4];
  p = p * r + c[3];
  p = p * r + c[2];
  p = p * r + c[1];
  p *= r;
  return s * p + (s - 1.0f);
}

// exp over the whole float range (Tensor.exp): x clamped to [lo, hi] (NaN
// kept), the degree-6 polynomial unscaled, and 2^n as 2^(n>>1) * 2^(n-(n>>1))
// (each factor normal for n in [-150, 128]): the second product is the one
// rounding, so subnormal results are exact and x >= 88.73 overflows to inf.
constexpr float hi = 88.8f;  // exp(88.8) is past FLT_MAX
inline float exp_any(float x) {
  const Reduced d = reduce(select(x > hi, hi, x));
  const float p = exp_poly(d.r, 1.0f / two_m64);  // 2^64 undoes e[]'s 2^-64
  return p * pow2(d.ni >> 1) * pow2(d.ni - (d.ni >> 1));
}
}  // namespace expf_detail

inline float exp_f32(float x) { return expf_detail::exp_any(x); }
inline float exp_nonpos(float x) { return expf_detail::exp_nonpos(x); }
inline float expm1_nonpos(float x) { return expf_detail::expm1_nonpos(x); }

// log of float32 (Tensor.log), branch-free: x = 2^e m with m in
// [sqrt(1/2), sqrt(2)) read from the bits (subnormals scaled by 2^23
// first), log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716, by its
// series to s^11 (truncation < 1e-10), plus e ln2 in two parts. Max relative
// error 1.6e-7 (about 1.4 ulp) over every binade; 0 -> -inf, x < 0 -> NaN,
// +inf and NaN pass. 0.38 ns per element with AVX-512 against std::log's
// 2.5 (Emerald Rapids, 1 thread).
inline float log_f32(float x) {
  const bool sub = x < 1.17549435e-38f;  // subnormal (or <= 0, fixed up below)
  const float xs = select(sub, x * 8388608.0f, x);
  int32_t b;
  std::memcpy(&b, &xs, sizeof b);
  const int32_t e = ((b >> 23) & 0xff) - 127;
  const int32_t mb = (b & 0x7fffff) | 0x3f800000;
  float m;
  std::memcpy(&m, &mb, sizeof m);  // [1, 2)
  const bool big = m > 1.41421356f;
  m = select(big, m * 0.5f, m);
  const float ef = float(e + int32_t(big)) - select(sub, 23.0f, 0.0f);
  const float f = m - 1.0f;
  const float sv = f / (2.0f + f);
  const float z = sv * sv;
  float p = 1.0f / 11;  // atanh(s) / s - 1 = z/3 + z^2/5 + ... + z^5/11
  p = p * z + 1.0f / 9;
  p = p * z + 1.0f / 7;
  p = p * z + 1.0f / 5;
  p = p * z + 1.0f / 3;
  const float log_m = 2.0f * sv + 2.0f * sv * z * p;
  const float r = ef * expf_detail::ln2_hi + (log_m + ef * expf_detail::ln2_lo);
  constexpr float inf = std::numeric_limits<float>::infinity();
  float out = select(x == inf, inf, r);
  out = select(x == 0.0f, -inf, out);
  out = select(x < 0.0f, std::numeric_limits<float>::quiet_NaN(), out);
  return select(x != x, x, out);  // NaN stays the same NaN
}

// sigmoid and tanh of float32 from the exp / expm1 above (so branch-free and
// vectorised), only ever on -|x| <= 0:
//   sigmoid(x) = (x >= 0 ? 1 : e) / (1 + e), e = exp(-|x|): no overflow, and
//                for x < 0 e / (1 + e) keeps tiny results to full precision
//   tanh(x)    = sign(x) (-t) / (2 + t), t = expm1(-2|x|): no cancellation
//                near 0 (1 - exp(-2|x|) would lose it), +-1 for large |x|
// Max relative error 1.8e-7 (about 1.5 ulp) over [-110, 30]; NaN, +-inf and
// -0 come out as from the C library. 0.28 / 0.35 ns per element with AVX-512
// against std::tanh's 9.3 (Emerald Rapids, 1 thread, out of cache).
inline float sigmoid_f32(float x) {
  const float e = exp_nonpos(-std::fabs(x));
  return select(x >= 0.0f, 1.0f, e) / (1.0f + e);
}

inline float tanh_f32(float x) {
  const float t = expm1_nonpos(-2.0f * std::fabs(x));
  return std::copysign(-t / (2.0f + t), x);
}
inline double exp_nonpos(double x) { return std::exp(x); }
inline double expm1_nonpos(double x) { return std::expm1(x); }

// Starts fetching a row that a row loop (softmax, cross-entropy) will read
// kRowsAhead rows from now, its first kPrefetchBytes (the hardware streamer
// follows longer rows by itself). Rows of a few KiB each start a new page,
// where the streamer starts cold: without this each row's first pass (the
// max) waited on memory while the previous row's exp pass, compute-bound,
// left the memory idle. Cross-entropy forward (16384 x 1000, Zen 5, 1
// thread): 0.275 -> 0.215 ns per element (2 rows ahead; 1: 0.225, 4: 0.22).
constexpr int64_t kRowsAhead = 2;
constexpr int64_t kPrefetchBytes = 16 << 10;
template <class T> inline void prefetch_row(const T* x, int64_t n) {
  const char* p = reinterpret_cast<const char*>(x);
  const int64_t bytes = std::min<int64_t>(n * int64_t(sizeof(T)), kPrefetchBytes);
  for (int64_t off = 0; off < bytes; off += 64) __builtin_prefetch(p + off, 0, 3);
}

// max of a contiguous row (vectorised): 64 running maxima, so that 4
// AVX-512 (8 AVX2) registers' max chains run at once instead of one waiting
// on its own latency (the max pass was a third of softmax's time with 8),
// then 8 for the rest of the row. NaN is skipped here; softmax-like callers
// still return NaN for such a row, through exp(x - max).
template <class T> T row_max(const T* x, int64_t n) {
  constexpr int kWide = 64, kLanes = 8;
  constexpr T lowest = -std::numeric_limits<T>::infinity();
  T m[kWide];
  for (int l = 0; l < kLanes; ++l) m[l] = lowest;
  int64_t i = 0;
  if (n >= 4 * kWide) {  // shorter rows lose more on the wide set's setup than they gain
    for (int l = kLanes; l < kWide; ++l) m[l] = lowest;
    for (; i + kWide <= n; i += kWide) {
#pragma omp simd
      for (int l = 0; l < kWide; ++l) m[l] = std::max(m[l], x[i + l]);
    }
    for (int b = kLanes; b < kWide; b += kLanes) {
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) m[l] = std::max(m[l], m[b + l]);
    }
  }
  for (; i + kLanes <= n; i += kLanes) {
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) m[l] = std::max(m[l], x[i + l]);
  }
  T r = lowest;
  for (int l = 0; l < kLanes; ++l) r = std::max(r, m[l]);
  for (; i < n; ++i) r = std::max(r, x[i]);
  return r;
}

// ---------------------------------------------------------------- kernels
// activation.cpp's kernels, declared with cuda::'s.
#include "ops/kernels/activation.inc"

}  // namespace dc::cpu
