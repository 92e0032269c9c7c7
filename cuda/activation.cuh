// Device helpers shared by the softmax kernels (activation.cu) and the fused
// cross-entropy (loss.cu): exp/log by element type, the online max-and-sum of
// exponentials, and the three ways a row is reduced cooperatively.
//
// A "row" is n elements at base + j * stride. Its reducing group is
//   ThreadRows  one thread per row (rows along an inner strided dim: adjacent
//               threads read adjacent columns, so the loads coalesce),
//   WarpRows    one warp per row (short contiguous rows, n <= kWarpRowMax),
//   BlockRows   one block of kThreads per row (long contiguous rows),
// each with its row loop (first/step), its lanes (rank/size) and sum, max and
// max-sum merges by warp shuffles (plus shared memory across a block's warps).
// Reductions by xor butterflies leave every lane with the same bits (each
// step combines the same two values, and + is commutative), so a row's lanes
// agree on max and sum without a broadcast.
#pragma once
#include <cuda_runtime.h>
#include <cstdint>
#include <limits>
#include "common.cuh"

namespace dc::cuda {

__device__ __forceinline__ float dexp(float x) { return expf(x); }
__device__ __forceinline__ double dexp(double x) { return ::exp(x); }
__device__ __forceinline__ float dlog(float x) { return logf(x); }
__device__ __forceinline__ double dlog(double x) { return ::log(x); }
__device__ __forceinline__ float dexpm1(float x) { return expm1f(x); }
__device__ __forceinline__ double dexpm1(double x) { return ::expm1(x); }
__device__ __forceinline__ float dlog1p(float x) { return log1pf(x); }
__device__ __forceinline__ double dlog1p(double x) { return ::log1p(x); }

template <class T> __host__ __device__ constexpr T neg_inf() {
  return -std::numeric_limits<T>::infinity();
}

// Running max m and sum s = sum_j exp(x_j - m) of the values seen: one read
// of the row gives both (the "online softmax", Milakov & Gimelshein 2018).
// Special values end as the CPU's two-pass loops end: -inf elements add 0,
// a NaN or +inf element makes s NaN, a row of -inf only keeps m = -inf.
template <class T> struct MaxSum {
  T m = neg_inf<T>();
  T s = T(0);

  // exp(old - m) for rescaling a sum taken relative to `old`; 0 when nothing
  // finite was seen yet (exp(-inf - -inf) would be NaN).
  __device__ static T rescale(T old, T m) { return old == neg_inf<T>() ? T(0) : dexp(old - m); }

  __device__ void push(T x) {
    if (x > m) {  // a new max, adding exp(x - x): 1, or NaN for x = +inf (as on the CPU)
      s = s * rescale(m, x) + (isinf(x) ? std::numeric_limits<T>::quiet_NaN() : T(1));
      m = x;
    } else {  // NaN lands here and makes s NaN
      s += x == neg_inf<T>() ? T(0) : dexp(x - m);
    }
  }
  __device__ void merge(T om, T os) {
    const T nm = fmax(m, om);
    s = s * rescale(m, nm) + os * rescale(om, nm);
    m = nm;
  }
};

constexpr int kWarp = 32;
constexpr int kWarpRowMax = 1024;  // longest row a warp takes (32 elements per lane)
constexpr int kWarpsPerBlock = 8;  // WarpRows: blockDim = (32, 8)

template <class T> __device__ __forceinline__ T warp_sum(T v) {
  for (int o = kWarp / 2; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
template <class T> __device__ __forceinline__ T warp_max(T v) {
  for (int o = kWarp / 2; o > 0; o /= 2) v = fmax(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
template <class T> __device__ __forceinline__ MaxSum<T> warp_merge(MaxSum<T> v) {
  for (int o = kWarp / 2; o > 0; o /= 2) {
    const T om = __shfl_xor_sync(0xffffffffu, v.m, o);
    const T os = __shfl_xor_sync(0xffffffffu, v.s, o);
    v.merge(om, os);
  }
  return v;
}

struct ThreadRows {
  __device__ int64_t first() const { return int64_t(blockIdx.x) * blockDim.x + threadIdx.x; }
  __device__ int64_t step() const { return int64_t(gridDim.x) * blockDim.x; }
  __device__ int rank() const { return 0; }
  __device__ int size() const { return 1; }
  template <class T> __device__ T sum(T v) const { return v; }
  template <class T> __device__ T max(T v) const { return v; }
  template <class T> __device__ MaxSum<T> merge(MaxSum<T> v) const { return v; }
};

struct WarpRows {
  __device__ int64_t first() const { return int64_t(blockIdx.x) * blockDim.y + threadIdx.y; }
  __device__ int64_t step() const { return int64_t(gridDim.x) * blockDim.y; }
  __device__ int rank() const { return threadIdx.x; }
  __device__ int size() const { return kWarp; }
  template <class T> __device__ T sum(T v) const { return warp_sum(v); }
  template <class T> __device__ T max(T v) const { return warp_max(v); }
  template <class T> __device__ MaxSum<T> merge(MaxSum<T> v) const { return warp_merge(v); }
};

// Every thread of the block must call the reductions (the row loop is uniform).
struct BlockRows {
  __device__ int64_t first() const { return blockIdx.x; }
  __device__ int64_t step() const { return gridDim.x; }
  __device__ int rank() const { return threadIdx.x; }
  __device__ int size() const { return blockDim.x; }

  // Warp results through shared memory; every thread then folds them in the
  // same order, so all hold the same value.
  template <class T, class Fold> __device__ static T across_warps(T v, Fold fold) {
    __shared__ T part[kThreads / kWarp];
    const int warp = threadIdx.x / kWarp, warps = (blockDim.x + kWarp - 1) / kWarp;
    if (threadIdx.x % kWarp == 0) part[warp] = v;
    __syncthreads();
    T r = part[0];
    for (int w = 1; w < warps; ++w) r = fold(r, part[w]);
    __syncthreads();  // part is reused by the next reduction
    return r;
  }
  template <class T> __device__ T sum(T v) const {
    return across_warps(warp_sum(v), [](T a, T b) { return a + b; });
  }
  template <class T> __device__ T max(T v) const {
    return across_warps(warp_max(v), [](T a, T b) { return fmax(a, b); });
  }
  template <class T> __device__ MaxSum<T> merge(MaxSum<T> v) const {
    v = warp_merge(v);
    const T m = across_warps(v.m, [](T a, T b) { return fmax(a, b); });
    // Rescale each warp's sum to the block max, then add them.
    return MaxSum<T>{m, sum_scaled(v, m)};
  }

 private:
  template <class T> __device__ static T sum_scaled(MaxSum<T> v, T m) {
    const T part = v.s * MaxSum<T>::rescale(v.m, m);
    return across_warps(part, [](T a, T b) { return a + b; });
  }
};

// Which group reduces the rows of an (outer, n, inner) problem, and the launch
// shape for `rows` rows: f(group, grid, block) is called with the group tag.
template <class F> void launch_rows(int64_t rows, int64_t n, int64_t inner, F f) {
  if (inner > 1) {
    f(ThreadRows{}, dim3(blocks_for(rows)), dim3(kThreads));
  } else if (n <= kWarpRowMax) {
    f(WarpRows{}, dim3(blocks_for(rows, kWarpsPerBlock)), dim3(kWarp, kWarpsPerBlock));
  } else {
    f(BlockRows{}, dim3(static_cast<unsigned>(std::min<int64_t>(rows, kMaxBlocks))),
      dim3(kThreads));
  }
}

}  // namespace dc::cuda
