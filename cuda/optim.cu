// CUDA optimiser kernels: the multi-tensor fused Adam/AdamW step and the
// small fused in-place updates the other optimisers are composed of.
//
// Adam, per element of tensor i at step t, the order of operations of
// csrc/cpu/optim.cpp's AVX2 path (PyTorch's fused Adam), FMAs where it has
// them, every scalar computed once per tensor on the host in double:
//   g = maximize ? -grad : grad
//   Adam:  g = fma(p, wd, g)          AdamW:  p *= 1 - lr * wd (in the last fma)
//   m = fma(w', g - m, m or g)        (PyTorch's two-sided lerp, w = 1 - beta1)
//   v = fma((1 - beta2) g, g, beta2 v)
//   vhat = amsgrad ? (vmax = max(vmax, v)) : v
//   p = fma(p, decay, (-lr / (1 - beta1^t)) m / (sqrt(vhat) / sqrt(1 - beta2^t) + eps))
// Bytes per element: read p, g, m, v and write p, m, v = 7 words (28 B in
// float32; amsgrad adds 2 words); about 12 FLOP, a sqrt and a division: at
// ~0.5 FLOP/B the step is memory-bound on every GPU, so the aim is one
// coalesced pass at the device's copy bandwidth (bench/adam.py --device cuda
// measures the fraction).
//
// Multi-tensor launch: a model has many tensors, most of them small, and a
// launch per tensor would be dominated by launch latency. The host builds a
// table with one entry per tensor (pointers, size, constants, index of its
// first chunk), copies it to the device in one stream-ordered transfer, and
// launches one grid for all tensors of a dtype: block b updates chunk b of
// the concatenated list of kChunk-element chunks (each tensor starts a new
// chunk), finding its tensor by a binary search over the first-chunk
// indices. When a tensor's arrays are all 16-byte aligned (always, for
// allocator-made arrays) the loop moves 16 B per load and store (float4 /
// double2); a tensor's tail and unaligned views take the scalar path, which
// adam_step_reference uses throughout: both call the same per-element
// function, so they agree bit for bit (tests check it).
#include "optim.h"  // cuda/optim.h (this directory first)
#include <cmath>
#include "common.cuh"

namespace dc::cuda {

namespace {

constexpr int64_t kChunk = 16384;  // elements per block: 16 float4 per thread

// One tensor of the step. The constants are double here and converted to
// the tensor's type on the device, the same rounding as the CPU's host-side
// conversion.
struct AdamTensor {
  void* p;
  const void* g;
  void* m;
  void* v;
  void* vmax;  // null unless amsgrad
  int64_t numel;
  int64_t first_chunk;  // prefix sum of the chunk counts of the entries before
  double lerp_coeff, beta2, omb2, eps, wd, decay, neg_step, bc2_sqrt;
  bool lerp_from_m, l2, amsgrad, maximize, vectorised;
};

template <class T> struct alignas(16) Pack {
  static constexpr int N = 16 / sizeof(T);
  T x[N];
};

template <class T> struct AdamScalars {
  T coeff, beta2, omb2, eps, wd, decay, neg_step, bc2_sqrt;
  bool from_m, l2, ams, maximize;
  __device__ explicit AdamScalars(const AdamTensor& t)
      : coeff(static_cast<T>(t.lerp_coeff)), beta2(static_cast<T>(t.beta2)),
        omb2(static_cast<T>(t.omb2)), eps(static_cast<T>(t.eps)), wd(static_cast<T>(t.wd)),
        decay(static_cast<T>(t.decay)), neg_step(static_cast<T>(t.neg_step)),
        bc2_sqrt(static_cast<T>(t.bc2_sqrt)), from_m(t.lerp_from_m), l2(t.l2), ams(t.amsgrad),
        maximize(t.maximize) {}
};

// One element; p, m, v, vmax are updated in place (vmax only if amsgrad).
template <class T>
__device__ __forceinline__ void adam_element(T& p, T g, T& m, T& v, T& vmax,
                                             const AdamScalars<T>& k) {
  if (k.maximize) g = -g;
  if (k.l2) g = fma(p, k.wd, g);
  const T m0 = m;
  m = fma(k.coeff, g - m0, k.from_m ? m0 : g);
  T vh = fma(k.omb2 * g, g, v * k.beta2);
  v = vh;
  if (k.ams) {
    vh = vmax > vh ? vmax : vh;
    vmax = vh;
  }
  const T denom = sqrt(vh) / k.bc2_sqrt + k.eps;
  p = fma(p, k.decay, k.neg_step * m / denom);
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    adam_kernel(const AdamTensor* __restrict__ table, int n_tensors) {
  // The tensor of this chunk: the last entry whose first chunk is <= b.
  __shared__ int which;
  const int64_t b = blockIdx.x;
  if (threadIdx.x == 0) {
    int lo = 0, hi = n_tensors - 1;
    while (lo < hi) {
      const int mid = (lo + hi + 1) / 2;
      if (table[mid].first_chunk <= b) lo = mid;
      else hi = mid - 1;
    }
    which = lo;
  }
  __syncthreads();
  const AdamTensor& t = table[which];
  const AdamScalars<T> k(t);
  T* __restrict__ p = static_cast<T*>(t.p);
  const T* __restrict__ g = static_cast<const T*>(t.g);
  T* __restrict__ m = static_cast<T*>(t.m);
  T* __restrict__ v = static_cast<T*>(t.v);
  T* __restrict__ vmax = static_cast<T*>(t.vmax);
  const int64_t lo = (b - t.first_chunk) * kChunk;
  const int64_t hi = t.numel < lo + kChunk ? t.numel : lo + kChunk;
  int64_t i = lo;
  if (t.vectorised) {
    using P = Pack<T>;
    constexpr int N = P::N;
    const int64_t full = lo + (hi - lo) / N * N;
    for (int64_t j = lo + static_cast<int64_t>(threadIdx.x) * N; j < full; j += kThreads * N) {
      P pp = *reinterpret_cast<const P*>(p + j);
      const P gg = *reinterpret_cast<const P*>(g + j);
      P mm = *reinterpret_cast<const P*>(m + j);
      P vv = *reinterpret_cast<const P*>(v + j);
      P xx{};
      if (k.ams) xx = *reinterpret_cast<const P*>(vmax + j);
#pragma unroll
      for (int e = 0; e < N; ++e) adam_element(pp.x[e], gg.x[e], mm.x[e], vv.x[e], xx.x[e], k);
      *reinterpret_cast<P*>(p + j) = pp;
      *reinterpret_cast<P*>(m + j) = mm;
      *reinterpret_cast<P*>(v + j) = vv;
      if (k.ams) *reinterpret_cast<P*>(vmax + j) = xx;
    }
    i = full;
  }
  for (int64_t j = i + threadIdx.x; j < hi; j += kThreads) {
    T pj = p[j], mj = m[j], vj = v[j], xj = k.ams ? vmax[j] : T(0);
    adam_element(pj, g[j], mj, vj, xj, k);
    p[j] = pj;
    m[j] = mj;
    v[j] = vj;
    if (k.ams) vmax[j] = xj;
  }
}

bool aligned16(const Array& a) { return reinterpret_cast<uintptr_t>(a.data_ptr()) % 16 == 0; }

AdamTensor make_entry(const AdamOptions& o, int64_t step) {
  AdamTensor e{};
  const double w = 1.0 - o.beta1;
  const double t = static_cast<double>(step);
  const bool use_wd = o.weight_decay != 0.0;
  e.lerp_from_m = std::abs(w) < 0.5;
  e.lerp_coeff = e.lerp_from_m ? w : w - 1.0;
  e.beta2 = o.beta2;
  e.omb2 = 1.0 - o.beta2;
  e.eps = o.eps;
  e.wd = o.weight_decay;
  e.decay = use_wd && o.decoupled ? 1.0 - o.lr * o.weight_decay : 1.0;
  e.neg_step = -(o.lr / (1.0 - std::pow(o.beta1, t)));
  e.bc2_sqrt = std::sqrt(1.0 - std::pow(o.beta2, t));
  e.l2 = use_wd && !o.decoupled;
  e.amsgrad = o.amsgrad;
  e.maximize = o.maximize;
  return e;
}

// out = f(out, a, b) elementwise over contiguous arrays.
template <class T, class F>
__global__ void update_kernel(T* out, const T* a, const T* b, int64_t n, F f) {
  DC_CUDA_LOOP(i, n) out[i] = f(out[i], a ? a[i] : T(0), b ? b[i] : T(0));
}

template <class F>
void update(const char* op, const Array& out, const Array* a, const Array* b, F make) {
  const int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard guard(out);
  visit_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    update_kernel<T><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(
        out.data<T>(), a ? a->data<T>() : nullptr, b ? b->data<T>() : nullptr, n,
        make(tag));
  });
  check_launch(op);
}

template <class T> struct Scale {
  T a;
  __device__ T operator()(T o, T, T) const { return a * o; }
};
template <class T> struct Axpby {
  T a, b;
  __device__ T operator()(T o, T x, T) const { return a * o + b * x; }
};
template <class T> struct Addcmul {
  T a, c;
  __device__ T operator()(T o, T x, T y) const { return a * o + c * x * y; }
};
template <class T> struct Addcdiv {
  T a, c;
  __device__ T operator()(T o, T x, T y) const { return a * o + c * (x / y); }
};

}  // namespace

namespace {

// vector: use the 16-byte path where aligned (false: the scalar loop only).
void run_adam(const std::vector<Array>& params, const std::vector<Array>& grads,
              const std::vector<Array>& exp_avgs, const std::vector<Array>& exp_avg_sqs,
              const std::vector<Array>& max_exp_avg_sqs, const std::vector<int64_t>& steps,
              const AdamOptions& opt, bool vector) {
  // Entries grouped by dtype (one launch per dtype present), empty tensors left out.
  std::vector<AdamTensor> table;
  table.reserve(params.size());
  int64_t chunks[2] = {0, 0};
  int count[2] = {0, 0};
  for (int dt = 0; dt < 2; ++dt) {
    const DType dtype = dt == 0 ? DType::Float32 : DType::Float64;
    for (size_t i = 0; i < params.size(); ++i) {
      const Array& p = params[i];
      if (p.dtype() != dtype || p.numel() == 0) continue;
      AdamTensor e = make_entry(opt, steps[i]);
      e.p = p.data_ptr();
      e.g = grads[i].data_ptr();
      e.m = exp_avgs[i].data_ptr();
      e.v = exp_avg_sqs[i].data_ptr();
      e.vmax = opt.amsgrad ? max_exp_avg_sqs[i].data_ptr() : nullptr;
      e.numel = p.numel();
      e.first_chunk = chunks[dt];
      e.vectorised = vector && aligned16(p) && aligned16(grads[i]) && aligned16(exp_avgs[i]) &&
                     aligned16(exp_avg_sqs[i]) && (!opt.amsgrad || aligned16(max_exp_avg_sqs[i]));
      chunks[dt] += (e.numel + kChunk - 1) / kChunk;
      ++count[dt];
      table.push_back(e);
    }
  }
  if (table.empty()) return;
  if (chunks[0] > INT32_MAX || chunks[1] > INT32_MAX)
    fail<NotImplementedError>("adam_step: more than 2^31 chunks of ", kChunk, " elements");
  const Array& first = params[0];
  DeviceGuard guard(first);
  const int64_t bytes = static_cast<int64_t>(table.size() * sizeof(AdamTensor));
  Array scratch = Array::empty({(bytes + 7) / 8}, DType::Int64, first.device());
  dc::cuda::memcpy(scratch.data_ptr(), first.device().index, table.data(), -1, bytes);
  const AdamTensor* dev = static_cast<const AdamTensor*>(scratch.data_ptr());
  cudaStream_t s = stream_of(first);
  if (count[0] > 0) {
    adam_kernel<float><<<static_cast<unsigned>(chunks[0]), kThreads, 0, s>>>(dev, count[0]);
    check_launch("adam_step");
  }
  if (count[1] > 0) {
    adam_kernel<double><<<static_cast<unsigned>(chunks[1]), kThreads, 0, s>>>(dev + count[0],
                                                                             count[1]);
    check_launch("adam_step");
  }
}

}  // namespace

void adam_step(const std::vector<Array>& params, const std::vector<Array>& grads,
               const std::vector<Array>& exp_avgs, const std::vector<Array>& exp_avg_sqs,
               const std::vector<Array>& max_exp_avg_sqs, const std::vector<int64_t>& steps,
               const AdamOptions& opt) {
  run_adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, opt, true);
}

void adam_step_reference(const std::vector<Array>& params, const std::vector<Array>& grads,
                         const std::vector<Array>& exp_avgs,
                         const std::vector<Array>& exp_avg_sqs,
                         const std::vector<Array>& max_exp_avg_sqs,
                         const std::vector<int64_t>& steps, const AdamOptions& opt) {
  run_adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, opt, false);
}

void axpby_(const Array& out, double alpha, const Array& x, double beta) {
  if (beta == 0.0) {  // a pure scaling: x is not read (0 * inf would give NaN)
    update("optim_axpby_", out, nullptr, nullptr, [&](auto tag) {
      using T = decltype(tag);
      return Scale<T>{static_cast<T>(alpha)};
    });
    return;
  }
  update("optim_axpby_", out, &x, nullptr, [&](auto tag) {
    using T = decltype(tag);
    return Axpby<T>{static_cast<T>(alpha), static_cast<T>(beta)};
  });
}

void addcmul_(const Array& out, double alpha, const Array& t1, const Array& t2, double value) {
  update("optim_addcmul_", out, &t1, &t2, [&](auto tag) {
    using T = decltype(tag);
    return Addcmul<T>{static_cast<T>(alpha), static_cast<T>(value)};
  });
}

void addcdiv_(const Array& out, double alpha, const Array& t1, const Array& t2, double value) {
  update("optim_addcdiv_", out, &t1, &t2, [&](auto tag) {
    using T = decltype(tag);
    return Addcdiv<T>{static_cast<T>(alpha), static_cast<T>(value)};
  });
}

}  // namespace dc::cuda
