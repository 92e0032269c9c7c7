// CPU optimiser kernels: the fused Adam/AdamW step and the small fused
// in-place updates the other optimisers are built from.
//
// Adam (PyTorch's torch.optim.Adam, fused=True order of operations), per
// element of tensor i at step t, with every scalar below computed once per
// tensor on the host in double:
//   g = maximize ? -grad : grad
//   Adam:  g += wd * p                AdamW:  p *= 1 - lr * wd
//   m = lerp(m, g, 1 - beta1)         (PyTorch's two-sided lerp formula)
//   v = beta2 * v + (1 - beta2) * g * g
//   vhat = amsgrad ? (vmax = max(vmax, v)) : v
//   p += (-lr / (1 - beta1^t)) * m / (sqrt(vhat) / sqrt(1 - beta2^t) + eps)
// Bytes per element: read g, p, m, v and write p, m, v = 7 words (28 B in
// float32, 56 B in float64; amsgrad adds 2 words). FLOPs: about 12 plus a
// square root and two divisions. With its data in L1 the AVX2 loop runs at
// ~2.8 G elements/s on one core of the 2-core Zen 3 test machine (79 GB/s
// at 28 B/element; dividing by sqrt(1 - beta2^t) or multiplying by its
// inverse makes no difference), more than twice what DRAM gives a core
// (~33 GB/s for this read-modify-write pattern), so the step is
// memory-bound: the aim is a single pass over the 7 words at full bandwidth
// (PyTorch's fused Adam also makes one pass; its default per-tensor path
// makes about ten).
//
// All tensors are treated as one concatenated element range that
// parallel_for splits evenly over the threads, so a model of many small
// tensors is parallelised as well as one big tensor.
//
// The vectorised path uses AVX2/FMA intrinsics (chosen at run time, so the
// library still runs on CPUs without AVX2), because GCC will not vectorise
// sqrt under the default -fmath-errno. adam_range_reference is the plain
// scalar loop of the same formula, the reference the fast path is checked
// against.
#include "cpu/optim.h"
#include <algorithm>
#include <cmath>
#include <cstdint>
#include "core/cpu_features.h"
#include "core/threads.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DC_OPTIM_AVX2 1
#include <immintrin.h>
#else
#define DC_OPTIM_AVX2 0
#endif

namespace dc::cpu {

namespace {

// The constants of one tensor's update, in the tensor's type.
template <class T>
struct AdamConst {
  T lerp_coeff;   // w or w - 1, with w = 1 - beta1
  bool lerp_from_m;  // lerp base: m when w < 0.5, else g (PyTorch's lerp)
  T beta2, one_minus_beta2, eps, weight_decay, decay;  // decay = 1 - lr * wd (AdamW)
  T neg_step_size;  // -lr / (1 - beta1^t)
  T bc2_sqrt;       // sqrt(1 - beta2^t)
  bool decoupled, use_wd, amsgrad, maximize;
};

template <class T>
AdamConst<T> make_const(const AdamOptions& o, int64_t step) {
  const double w = 1.0 - o.beta1;
  const double t = static_cast<double>(step);
  AdamConst<T> k;
  k.lerp_from_m = std::abs(w) < 0.5;
  k.lerp_coeff = static_cast<T>(k.lerp_from_m ? w : w - 1.0);
  k.beta2 = static_cast<T>(o.beta2);
  k.one_minus_beta2 = static_cast<T>(1.0 - o.beta2);
  k.eps = static_cast<T>(o.eps);
  k.weight_decay = static_cast<T>(o.weight_decay);
  k.decay = static_cast<T>(1.0 - o.lr * o.weight_decay);
  k.neg_step_size = static_cast<T>(-(o.lr / (1.0 - std::pow(o.beta1, t))));
  k.bc2_sqrt = static_cast<T>(std::sqrt(1.0 - std::pow(o.beta2, t)));
  k.decoupled = o.decoupled;
  k.use_wd = o.weight_decay != 0.0;
  k.amsgrad = o.amsgrad;
  k.maximize = o.maximize;
  return k;
}

template <class T>
struct AdamPtrs {
  T* p;
  const T* g;
  T* m;
  T* v;
  T* vmax;  // null unless amsgrad
};

// One element of the plain reference loop, in the same order of operations
// as the vector code (which uses FMAs where marked fmadd).
template <class T>
inline void adam_element(const AdamPtrs<T>& a, int64_t i, const AdamConst<T>& k) {
  T g = k.maximize ? -a.g[i] : a.g[i];
  T p = a.p[i];
  if (k.use_wd) {
    if (k.decoupled) p = p * k.decay;
    else g = g + p * k.weight_decay;
  }
  const T m0 = a.m[i];
  const T m = k.lerp_coeff * (g - m0) + (k.lerp_from_m ? m0 : g);
  T v = a.v[i] * k.beta2 + k.one_minus_beta2 * g * g;
  a.m[i] = m;
  a.v[i] = v;
  if (k.amsgrad) {
    const T mx = a.vmax[i];
    v = mx > v ? mx : v;
    a.vmax[i] = v;
  }
  const T denom = std::sqrt(v) / k.bc2_sqrt + k.eps;
  a.p[i] = p + k.neg_step_size * m / denom;
}

template <class T>
void adam_range_reference(const AdamPtrs<T>& a, int64_t lo, int64_t hi, const AdamConst<T>& k) {
  for (int64_t i = lo; i < hi; ++i) adam_element(a, i, k);
}

#if DC_OPTIM_AVX2
// Compiled for AVX2/FMA whatever the build flags; only called after the
// run-time CPU check.
#define DC_AVX2 __attribute__((target("avx2,fma")))
#define DC_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) inline

// Thin wrappers so that one templated loop serves float (8 lanes) and
// double (4 lanes).
struct Vec8f {
  static constexpr int N = 8;
  __m256 v;
  DC_AVX2_INLINE static Vec8f load(const float* p) { return {_mm256_loadu_ps(p)}; }
  DC_AVX2_INLINE void store(float* p) const { _mm256_storeu_ps(p, v); }
  // The first n < N lanes (the others read as 0 and are not written).
  DC_AVX2_INLINE static __m256i mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  DC_AVX2_INLINE static Vec8f load(const float* p, int n) {
    return {_mm256_maskload_ps(p, mask(n))};
  }
  DC_AVX2_INLINE void store(float* p, int n) const { _mm256_maskstore_ps(p, mask(n), v); }
  DC_AVX2_INLINE static Vec8f set1(float x) { return {_mm256_set1_ps(x)}; }
  DC_AVX2_INLINE friend Vec8f operator+(Vec8f a, Vec8f b) { return {_mm256_add_ps(a.v, b.v)}; }
  DC_AVX2_INLINE friend Vec8f operator-(Vec8f a, Vec8f b) { return {_mm256_sub_ps(a.v, b.v)}; }
  DC_AVX2_INLINE friend Vec8f operator*(Vec8f a, Vec8f b) { return {_mm256_mul_ps(a.v, b.v)}; }
  DC_AVX2_INLINE friend Vec8f operator/(Vec8f a, Vec8f b) { return {_mm256_div_ps(a.v, b.v)}; }
  DC_AVX2_INLINE friend Vec8f fmadd(Vec8f a, Vec8f b, Vec8f c) {
    return {_mm256_fmadd_ps(a.v, b.v, c.v)};
  }
  DC_AVX2_INLINE friend Vec8f vsqrt(Vec8f a) { return {_mm256_sqrt_ps(a.v)}; }
  DC_AVX2_INLINE friend Vec8f vxor(Vec8f a, Vec8f b) { return {_mm256_xor_ps(a.v, b.v)}; }
  // All lanes' bits set (on) or clear, a mask for vblend.
  DC_AVX2_INLINE static Vec8f mask_all(bool on) {
    return {_mm256_castsi256_ps(_mm256_set1_epi32(on ? -1 : 0))};
  }
  DC_AVX2_INLINE friend Vec8f vblend(Vec8f if_clear, Vec8f if_set, Vec8f mask) {
    return {_mm256_blendv_ps(if_clear.v, if_set.v, mask.v)};
  }
  // a > b ? a : b, as the scalar path
  DC_AVX2_INLINE friend Vec8f vmax(Vec8f a, Vec8f b) {
    return {_mm256_blendv_ps(b.v, a.v, _mm256_cmp_ps(a.v, b.v, _CMP_GT_OQ))};
  }
};

struct Vec4d {
  static constexpr int N = 4;
  __m256d v;
  DC_AVX2_INLINE static Vec4d load(const double* p) { return {_mm256_loadu_pd(p)}; }
  DC_AVX2_INLINE void store(double* p) const { _mm256_storeu_pd(p, v); }
  DC_AVX2_INLINE static __m256i mask(int n) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
  }
  DC_AVX2_INLINE static Vec4d load(const double* p, int n) {
    return {_mm256_maskload_pd(p, mask(n))};
  }
  DC_AVX2_INLINE void store(double* p, int n) const { _mm256_maskstore_pd(p, mask(n), v); }
  DC_AVX2_INLINE static Vec4d set1(double x) { return {_mm256_set1_pd(x)}; }
  DC_AVX2_INLINE friend Vec4d operator+(Vec4d a, Vec4d b) { return {_mm256_add_pd(a.v, b.v)}; }
  DC_AVX2_INLINE friend Vec4d operator-(Vec4d a, Vec4d b) { return {_mm256_sub_pd(a.v, b.v)}; }
  DC_AVX2_INLINE friend Vec4d operator*(Vec4d a, Vec4d b) { return {_mm256_mul_pd(a.v, b.v)}; }
  DC_AVX2_INLINE friend Vec4d operator/(Vec4d a, Vec4d b) { return {_mm256_div_pd(a.v, b.v)}; }
  DC_AVX2_INLINE friend Vec4d fmadd(Vec4d a, Vec4d b, Vec4d c) {
    return {_mm256_fmadd_pd(a.v, b.v, c.v)};
  }
  DC_AVX2_INLINE friend Vec4d vsqrt(Vec4d a) { return {_mm256_sqrt_pd(a.v)}; }
  DC_AVX2_INLINE friend Vec4d vxor(Vec4d a, Vec4d b) { return {_mm256_xor_pd(a.v, b.v)}; }
  DC_AVX2_INLINE static Vec4d mask_all(bool on) {
    return {_mm256_castsi256_pd(_mm256_set1_epi64x(on ? -1 : 0))};
  }
  DC_AVX2_INLINE friend Vec4d vblend(Vec4d if_clear, Vec4d if_set, Vec4d mask) {
    return {_mm256_blendv_pd(if_clear.v, if_set.v, mask.v)};
  }
  DC_AVX2_INLINE friend Vec4d vmax(Vec4d a, Vec4d b) {
    return {_mm256_blendv_pd(b.v, a.v, _mm256_cmp_pd(a.v, b.v, _CMP_GT_OQ))};
  }
};

template <class T> struct Avx2Of;
template <> struct Avx2Of<float> { using type = Vec8f; };
template <> struct Avx2Of<double> { using type = Vec4d; };

// The constants of AdamConst<T> broadcast to vectors. The per-tensor
// switches become arithmetic so the loop has no branches: maximize is an XOR
// with the sign bit (or with +0, a no-op), AdamW's decay a multiplication
// by 1 - lr*wd (by exactly 1 otherwise), the lerp base a blend.
template <class V, class T>
struct AdamVecConst {
  V coeff, from_m, beta2, omb2, eps, wd, decay, neg_step, bc2_sqrt, sign;
  DC_AVX2_INLINE explicit AdamVecConst(const AdamConst<T>& k)
      : coeff(V::set1(k.lerp_coeff)), from_m(V::mask_all(k.lerp_from_m)),
        beta2(V::set1(k.beta2)), omb2(V::set1(k.one_minus_beta2)), eps(V::set1(k.eps)),
        wd(V::set1(k.weight_decay)),
        decay(V::set1(k.use_wd && k.decoupled ? k.decay : T(1))),
        neg_step(V::set1(k.neg_step_size)), bc2_sqrt(V::set1(k.bc2_sqrt)),
        sign(V::set1(k.maximize ? T(-0.0) : T(0.0))) {}
};

// Loads/stores all N lanes at x + i, or (a tail) only the first n.
template <bool kFull, class V, class T>
DC_AVX2_INLINE V load_at(const T* x, int64_t i, int n) {
  if constexpr (kFull) return V::load(x + i);
  else return V::load(x + i, n);
}
template <bool kFull, class V, class T>
DC_AVX2_INLINE void store_at(const V& v, T* x, int64_t i, int n) {
  if constexpr (kFull) v.store(x + i);
  else v.store(x + i, n);
}

// Elements [i, i + n) (n = N unless a tail). The tail runs the very same
// vector arithmetic under a mask, so every element's result is independent
// of where the thread chunks and the vector blocks happen to fall.
// kL2: Adam's g += wd * p; kAms: amsgrad.
template <bool kFull, bool kL2, bool kAms, class V, class T>
DC_AVX2_INLINE void adam_block(T* __restrict p_, const T* __restrict g_, T* __restrict m_,
                               T* __restrict v_, T* __restrict vmax_, int64_t i, int n,
                               const AdamVecConst<V, T>& c) {
  V g = vxor(load_at<kFull, V>(g_, i, n), c.sign);
  V p = load_at<kFull, V>(p_, i, n);
  if constexpr (kL2) g = fmadd(p, c.wd, g);
  const V m0 = load_at<kFull, V>(m_, i, n);
  const V m = fmadd(c.coeff, g - m0, vblend(g, m0, c.from_m));
  V v = fmadd(c.omb2 * g, g, load_at<kFull, V>(v_, i, n) * c.beta2);
  store_at<kFull>(m, m_, i, n);
  store_at<kFull>(v, v_, i, n);
  if constexpr (kAms) {
    v = vmax(load_at<kFull, V>(vmax_, i, n), v);
    store_at<kFull>(v, vmax_, i, n);
  }
  const V denom = vsqrt(v) / c.bc2_sqrt + c.eps;
  // p * decay + step in one rounding, written out so that the compiler's
  // own contraction choices cannot differ between the loop and its tail
  // (decay is exactly 1 unless AdamW, making this p + step).
  store_at<kFull>(fmadd(p, c.decay, c.neg_step * m / denom), p_, i, n);
}

template <bool kL2, bool kAms, class T>
DC_AVX2 void adam_loop_avx2(const AdamPtrs<T>& a, int64_t lo, int64_t hi,
                            const AdamConst<T>& k) {
  using V = typename Avx2Of<T>::type;
  const AdamVecConst<V, T> c(k);
  // Locals, not a.p etc.: the stores below could alias the struct, which
  // would make the compiler reload every pointer each iteration.
  T* const p = a.p;
  const T* const g = a.g;
  T* const m = a.m;
  T* const v = a.v;
  T* const vmax = a.vmax;
  int64_t i = lo;
  for (; i + V::N <= hi; i += V::N) adam_block<true, kL2, kAms>(p, g, m, v, vmax, i, V::N, c);
  if (i < hi) adam_block<false, kL2, kAms>(p, g, m, v, vmax, i, static_cast<int>(hi - i), c);
}

template <class T>
void adam_range_avx2(const AdamPtrs<T>& a, int64_t lo, int64_t hi, const AdamConst<T>& k) {
  const bool l2 = k.use_wd && !k.decoupled;
  if (k.amsgrad) {
    if (l2) adam_loop_avx2<true, true>(a, lo, hi, k);
    else adam_loop_avx2<false, true>(a, lo, hi, k);
  } else {
    if (l2) adam_loop_avx2<true, false>(a, lo, hi, k);
    else adam_loop_avx2<false, false>(a, lo, hi, k);
  }
}

#endif

bool cpu_has_avx2() {
#if DC_OPTIM_AVX2
  return host_has_avx2_fma();
#else
  return false;
#endif
}

template <class T>
using AdamRange = void (*)(const AdamPtrs<T>&, int64_t, int64_t, const AdamConst<T>&);

template <class T>
AdamRange<T> pick_range(bool reference) {
#if DC_OPTIM_AVX2
  if (!reference && cpu_has_avx2()) return &adam_range_avx2<T>;
#endif
  return &adam_range_reference<T>;
}

void run_adam(const std::vector<Array>& params, const std::vector<Array>& grads,
              const std::vector<Array>& exp_avgs, const std::vector<Array>& exp_avg_sqs,
              const std::vector<Array>& max_exp_avg_sqs, const std::vector<int64_t>& steps,
              const AdamOptions& opt, bool reference) {
  const size_t n = params.size();
  // offsets[i]: where tensor i starts in the concatenated element range.
  std::vector<int64_t> offsets(n + 1, 0);
  for (size_t i = 0; i < n; ++i) offsets[i + 1] = offsets[i] + params[i].numel();
  // Host constants, once per tensor per step, in both types (cheap).
  std::vector<AdamConst<float>> kf(n);
  std::vector<AdamConst<double>> kd(n);
  for (size_t i = 0; i < n; ++i) {
    if (params[i].dtype() == DType::Float32) kf[i] = make_const<float>(opt, steps[i]);
    else kd[i] = make_const<double>(opt, steps[i]);
  }
  const AdamRange<float> range_f = pick_range<float>(reference);
  const AdamRange<double> range_d = pick_range<double>(reference);

  parallel_for(0, offsets[n], kGrainSize, [&](int64_t b, int64_t e) {
    // First tensor whose range contains b (empty tensors are skipped below).
    size_t t = static_cast<size_t>(std::upper_bound(offsets.begin(), offsets.end(), b) -
                                   offsets.begin()) - 1;
    for (; t < n && offsets[t] < e; ++t) {
      const int64_t lo = std::max(b, offsets[t]) - offsets[t];
      const int64_t hi = std::min(e, offsets[t + 1]) - offsets[t];
      if (lo >= hi) continue;
      const bool ams = opt.amsgrad;
      if (params[t].dtype() == DType::Float32) {
        AdamPtrs<float> a{params[t].data<float>(), grads[t].data<float>(),
                          exp_avgs[t].data<float>(), exp_avg_sqs[t].data<float>(),
                          ams ? max_exp_avg_sqs[t].data<float>() : nullptr};
        range_f(a, lo, hi, kf[t]);
      } else {
        AdamPtrs<double> a{params[t].data<double>(), grads[t].data<double>(),
                           exp_avgs[t].data<double>(), exp_avg_sqs[t].data<double>(),
                           ams ? max_exp_avg_sqs[t].data<double>() : nullptr};
        range_d(a, lo, hi, kd[t]);
      }
    }
  });
}

// Runs f(begin, end) over out's contiguous element range, in parallel.
template <class F>
void pointwise(const Array& out, F&& f) {
  parallel_for(0, out.numel(), kGrainSize, [&](int64_t b, int64_t e) { f(b, e); });
}

}  // namespace

bool adam_uses_avx2() { return cpu_has_avx2(); }

void adam_step(const std::vector<Array>& params, const std::vector<Array>& grads,
               const std::vector<Array>& exp_avgs, const std::vector<Array>& exp_avg_sqs,
               const std::vector<Array>& max_exp_avg_sqs, const std::vector<int64_t>& steps,
               const AdamOptions& opt) {
  run_adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, opt, false);
}

void adam_step_reference(const std::vector<Array>& params, const std::vector<Array>& grads,
                         const std::vector<Array>& exp_avgs,
                         const std::vector<Array>& exp_avg_sqs,
                         const std::vector<Array>& max_exp_avg_sqs,
                         const std::vector<int64_t>& steps, const AdamOptions& opt) {
  run_adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, opt, true);
}

// The small fused updates: one read-modify-write pass each, memory-bound
// plain loops that the compiler vectorises.
void axpby_(const Array& out, double alpha, const Array& x, double beta) {
  visit_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    const T* xp = x.data<T>();
    const T a = static_cast<T>(alpha), bb = static_cast<T>(beta);
    pointwise(out, [&](int64_t b, int64_t e) {
      if (beta == 0.0) {  // a pure scaling: x is not read (0 * inf would give NaN)
        for (int64_t i = b; i < e; ++i) o[i] = a * o[i];
      } else {
        for (int64_t i = b; i < e; ++i) o[i] = a * o[i] + bb * xp[i];
      }
    });
  });
}

void addcmul_(const Array& out, double alpha, const Array& t1, const Array& t2, double value) {
  visit_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    const T *x = t1.data<T>(), *y = t2.data<T>();
    const T a = static_cast<T>(alpha), c = static_cast<T>(value);
    pointwise(out, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = a * o[i] + c * x[i] * y[i];
    });
  });
}

void addcdiv_(const Array& out, double alpha, const Array& t1, const Array& t2, double value) {
  visit_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    const T *x = t1.data<T>(), *y = t2.data<T>();
    const T a = static_cast<T>(alpha), c = static_cast<T>(value);
    pointwise(out, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = a * o[i] + c * (x[i] / y[i]);
    });
  });
}

}  // namespace dc::cpu
