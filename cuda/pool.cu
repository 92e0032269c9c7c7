// 2-D max and average pooling on the GPU, forward and backward; the
// semantics of cpu/pool.cpp (math in its header comment), bit for bit where
// the order of additions allows.
//
// Work: N*C*OH*OW*kh*kw compares or adds over N*C*H*W inputs, each read
// from L1/L2 by the few windows that cover it; memory-bound (forward reads
// the input once and writes the outputs, plus 8-byte indices for max).
//
// Layout of the launches: grid x runs over the positions of one plane
// (consecutive threads, consecutive positions: coalesced), grid y over the
// N*C planes (a stride loop beyond 65535).
//
// Backward.
// - avg: a thread per input pixel gathers gout / divisor from the windows
//   covering it, in the (y, x) order in which the CPU's scatter adds them:
//   same result bit for bit, no atomics, each pixel written once.
// - max: gx = 0, then a thread per output adds its gradient at its index
//   with atomicAdd. A gather (each input pixel looks for the outputs whose
//   index names it) would be deterministic, but it only sees indices that
//   lie in the pixel's own windows; the op accepts any int64 indices (only
//   those outside the plane are skipped, as on the CPU), and hand-made ones
//   may point anywhere in the plane. Collisions only occur where windows
//   overlap (stride < kernel) and the same pixel is the maximum of several;
//   their sum order, and so its last bit, may then vary from run to run.
//
// Status: written without a GPU; checked by running the kernels on the host
// (launches emulated) against cpu/pool.cpp: equal bit for bit except max
// backward's atomic sums. Not measured yet.
#include <algorithm>
#include <limits>
#include "check.cuh"
#include "common.cuh"
#include "pool.h"

namespace dc::cuda {

namespace {

// The valid taps [t0, t1) of a window starting at `start` with `k` taps `d`
// apart over a dim of size `n` (cpu/pool.cpp's taps()).
struct Taps {
  int64_t t0, t1;
};
__device__ __forceinline__ Taps taps(int64_t start, int64_t k, int64_t d, int64_t n) {
  if (start >= 0 && start + (k - 1) * d < n) return {0, k};
  const int64_t t0 = start < 0 ? (-start + d - 1) / d : 0;
  const int64_t t1 = start >= n ? 0 : min(k, (n - start + d - 1) / d);
  return {min(t0, t1), t1};
}

// cpu/pool.cpp's avg_divisor.
__device__ __forceinline__ int64_t avg_divisor(const PoolGeometry& g, int64_t r0, int64_t c0,
                                               const Taps& ti, const Taps& tj,
                                               bool count_include_pad, int64_t divisor_override) {
  if (divisor_override != 0) return divisor_override;
  if (!count_include_pad) return (ti.t1 - ti.t0) * (tj.t1 - tj.t0);
  const int64_t rows = min(r0 + g.kh, g.h + g.ph) - r0;
  const int64_t cols = min(c0 + g.kw, g.w + g.pw) - c0;
  return rows * cols;
}

// Launch over (positions per plane, planes); see the file comment.
dim3 grid_for(int64_t positions, int64_t planes) {
  const int64_t bx = (positions + kThreads - 1) / kThreads;
  return dim3(static_cast<unsigned>(std::max<int64_t>(bx, 1)),
              static_cast<unsigned>(std::clamp<int64_t>(planes, 1, 65535)));
}

// The kernels index within a plane in 32-bit ints.
void check_plane(const char* op, const PoolGeometry& g) {
  constexpr int64_t kMax = (int64_t(1) << 31) - 1;
  if (g.h * g.w > kMax || g.oh * g.ow > kMax)
    fail<NotImplementedError>(op, ": CUDA pooling of planes with 2^31 or more elements is not "
                              "supported (plane ", g.h, " x ", g.w, ")");
}

template <class T>
__global__ void max_forward_kernel(PoolGeometry g, const T* __restrict__ x, T* __restrict__ out,
                                   int64_t* __restrict__ indices) {
  const unsigned q = blockIdx.x * blockDim.x + threadIdx.x, ow = static_cast<unsigned>(g.ow);
  if (q >= g.oh * g.ow) return;
  const int64_t y = q / ow, xo = q - y * ow;
  const int64_t r0 = y * g.sh - g.ph, c0 = xo * g.sw - g.pw;
  const Taps ti = taps(r0, g.kh, g.dh, g.h), tj = taps(c0, g.kw, g.dw, g.w);
  for (int64_t p = blockIdx.y; p < g.planes; p += gridDim.y) {
    const T* xp = x + p * g.h * g.w;
    // PyTorch's rule: start from -inf at the first valid tap; a larger value
    // or a NaN (the last one) takes over.
    T best = -std::numeric_limits<T>::infinity();
    int64_t arg = (r0 + ti.t0 * g.dh) * g.w + c0 + tj.t0 * g.dw;
    for (int64_t i = ti.t0; i < ti.t1; ++i) {
      const int64_t row = (r0 + i * g.dh) * g.w + c0;
      for (int64_t j = tj.t0; j < tj.t1; ++j) {
        const int64_t at = row + j * g.dw;
        const T v = xp[at];
        if (v > best || v != v) {
          best = v;
          arg = at;
        }
      }
    }
    out[p * g.oh * g.ow + q] = best;
    indices[p * g.oh * g.ow + q] = arg;
  }
}

template <class T>
__global__ void max_backward_kernel(PoolGeometry g, const T* __restrict__ gout,
                                    const int64_t* __restrict__ indices, T* __restrict__ gx) {
  const unsigned q = blockIdx.x * blockDim.x + threadIdx.x;
  if (q >= g.oh * g.ow) return;
  const int64_t hw = g.h * g.w;
  for (int64_t p = blockIdx.y; p < g.planes; p += gridDim.y) {
    const int64_t e = p * g.oh * g.ow + q, at = indices[e];
    if (at >= 0 && at < hw) atomicAdd(gx + p * hw + at, gout[e]);
  }
}

template <class T>
__global__ void avg_forward_kernel(PoolGeometry g, const T* __restrict__ x, T* __restrict__ out,
                                   bool include_pad, int64_t divisor_override) {
  const unsigned q = blockIdx.x * blockDim.x + threadIdx.x, ow = static_cast<unsigned>(g.ow);
  if (q >= g.oh * g.ow) return;
  const int64_t y = q / ow, xo = q - y * ow;
  const int64_t r0 = y * g.sh - g.ph, c0 = xo * g.sw - g.pw;
  const Taps ti = taps(r0, g.kh, 1, g.h), tj = taps(c0, g.kw, 1, g.w);
  const T d = static_cast<T>(avg_divisor(g, r0, c0, ti, tj, include_pad, divisor_override));
  for (int64_t p = blockIdx.y; p < g.planes; p += gridDim.y) {
    const T* xp = x + p * g.h * g.w;
    T s = 0;
    for (int64_t i = ti.t0; i < ti.t1; ++i) {
      const T* row = xp + (r0 + i) * g.w + c0;
      for (int64_t j = tj.t0; j < tj.t1; ++j) s += row[j];
    }
    out[p * g.oh * g.ow + q] = s / d;
  }
}

// gx[r, c] = sum over the windows (y, x) covering (r, c), in (y, x) order,
// of gout[y, x] / divisor(y, x).
template <class T>
__global__ void avg_backward_kernel(PoolGeometry g, const T* __restrict__ gout,
                                    T* __restrict__ gx, bool include_pad,
                                    int64_t divisor_override) {
  const unsigned e = blockIdx.x * blockDim.x + threadIdx.x, w = static_cast<unsigned>(g.w);
  if (e >= g.h * g.w) return;
  const int64_t r = e / w, c = e - r * w;
  // Window y covers rows [y*sh - ph, y*sh - ph + kh): y*sh in [r + ph - kh + 1, r + ph].
  const int64_t a = r + g.ph - g.kh + 1, b = c + g.pw - g.kw + 1;
  const int64_t y0 = a <= 0 ? 0 : (a + g.sh - 1) / g.sh, y1 = min(g.oh, (r + g.ph) / g.sh + 1);
  const int64_t x0 = b <= 0 ? 0 : (b + g.sw - 1) / g.sw, x1 = min(g.ow, (c + g.pw) / g.sw + 1);
  for (int64_t p = blockIdx.y; p < g.planes; p += gridDim.y) {
    const T* gp = gout + p * g.oh * g.ow;
    T s = 0;
    for (int64_t y = y0; y < y1; ++y) {
      const int64_t r0 = y * g.sh - g.ph;
      const Taps ti = taps(r0, g.kh, 1, g.h);
      for (int64_t xo = x0; xo < x1; ++xo) {
        const int64_t c0 = xo * g.sw - g.pw;
        const Taps tj = taps(c0, g.kw, 1, g.w);
        const int64_t d = avg_divisor(g, r0, c0, ti, tj, include_pad, divisor_override);
        s += gp[y * g.ow + xo] / static_cast<T>(d);
      }
    }
    gx[p * g.h * g.w + e] = s;
  }
}

}  // namespace

void max_pool2d_forward(const PoolGeometry& g, const Array& x, const Array& out,
                        const Array& indices) {
  const char* op = "max_pool2d";
  if (g.planes == 0) return;
  check_plane(op, g);
  DeviceGuard guard(out);
  visit_floating(x.dtype(), [&](auto t) {
    using T = decltype(t);
    max_forward_kernel<T><<<grid_for(g.oh * g.ow, g.planes), kThreads, 0, stream_of(out)>>>(
        g, x.data<T>(), out.data<T>(), indices.data<int64_t>());
  });
  check_launch(op);
}

void max_pool2d_backward(const PoolGeometry& g, const Array& gout, const Array& indices,
                         const Array& gx) {
  const char* op = "max_pool2d_backward";
  if (g.planes == 0) return;
  check_plane(op, g);
  DeviceGuard guard(gx);
  const cudaStream_t s = stream_of(gx);
  check(cudaMemsetAsync(gx.data_ptr(), 0, gx.numel() * gx.itemsize(), s), op);
  visit_floating(gout.dtype(), [&](auto t) {
    using T = decltype(t);
    max_backward_kernel<T><<<grid_for(g.oh * g.ow, g.planes), kThreads, 0, s>>>(
        g, gout.data<T>(), indices.data<int64_t>(), gx.data<T>());
  });
  check_launch(op);
}

void avg_pool2d_forward(const PoolGeometry& g, const Array& x, const Array& out,
                        bool count_include_pad, int64_t divisor_override) {
  const char* op = "avg_pool2d";
  if (g.planes == 0) return;
  check_plane(op, g);
  DeviceGuard guard(out);
  visit_floating(x.dtype(), [&](auto t) {
    using T = decltype(t);
    avg_forward_kernel<T><<<grid_for(g.oh * g.ow, g.planes), kThreads, 0, stream_of(out)>>>(
        g, x.data<T>(), out.data<T>(), count_include_pad, divisor_override);
  });
  check_launch(op);
}

void avg_pool2d_backward(const PoolGeometry& g, const Array& gout, const Array& gx,
                         bool count_include_pad, int64_t divisor_override) {
  const char* op = "avg_pool2d_backward";
  if (g.planes == 0) return;
  check_plane(op, g);
  DeviceGuard guard(gx);
  visit_floating(gout.dtype(), [&](auto t) {
    using T = decltype(t);
    avg_backward_kernel<T><<<grid_for(g.h * g.w, g.planes), kThreads, 0, stream_of(gx)>>>(
        g, gout.data<T>(), gx.data<T>(), count_include_pad, divisor_override);
  });
  check_launch(op);
}

}  // namespace dc::cuda
