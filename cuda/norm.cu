// CUDA batch-norm kernels on contiguous x viewed as (N, C, L), channel c's
// values being the N runs x[n, c, 0:L]; the same math as csrc/cpu/norm.cpp:
//   stats      with s = x - x[0, c, 0] (a shift against cancellation),
//              mean = x0 + sum s / M, var = max(0, sum s^2 / M - (sum s / M)^2)
//   forward    y = (x - mean) * scale + shift
//   backward   sum_g = sum g, sum_gx = sum g (x - mean);
//              gx = a g + b (x - mean) + d
// Terms are formed in x's dtype and summed in double, as on the CPU (results
// may differ from the CPU's in the last bits: another summation order).
// Bytes per element (float32): stats read 4, forward read 4 + write 4,
// backward sums read 8, backward input read 8 + write 4; 2-4 FLOP each, so
// every pass is memory-bound and aims at one coalesced sweep.
//
// Reductions (stats, grad sums), M = N L values per channel:
// - L >= 32: one block per channel; each warp reads whole rows x[n, c, :]
//   (lanes along l, coalesced), warps over n; the block's double partial
//   sums are combined with warp shuffles, then across warps in shared memory.
//   With few channels (C = 3 images: 3 blocks for a GPU of 100+ SMs) the
//   rows are split over several blocks per channel, whose partial sums a
//   per-channel pass adds in a fixed order.
// - L < 32 ((N, C) inputs, small spatial sizes): the runs are too short for
//   a warp, so x is read as an N x (C L) matrix: 32 threads of a block row
//   read 32 consecutive columns (coalesced), block rows and blockIdx.y cover
//   the rows; column partial sums go to a scratch array, and a per-channel
//   pass adds them in a fixed order (deterministic, no atomics).
// The per-channel steps between (statistics used, running-statistics update,
// scale/shift, backward coefficients) are one thread per channel, the exact
// formulas of the CPU, so no value leaves the device during a step.
#include "norm.h"  // cuda/norm.h (this directory first)
#include <cmath>
#include <utility>
#include "common.cuh"

namespace dc::cuda {

namespace {

constexpr int kWarp = 32;
constexpr int kWarps = kThreads / kWarp;  // 8
constexpr int64_t kShortRun = 32;         // L below this: the column layout

__device__ inline double warp_sum(double v) {
  for (int o = kWarp / 2; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  return v;
}

// Element c of a 1-D array of any stride (per-channel vectors of x's dtype).
template <class T> struct Strided {
  T* p;
  int64_t stride;
  __device__ T& operator[](int64_t c) const { return p[c * stride]; }
};
template <class T> Strided<T> strided(const Array& a) { return {a.data<T>(), a.strides()[0]}; }

// The two sums of the statistics pass: s = x - x0, terms s and s^2.
template <class T> struct StatsSums {
  const T* x;
  int64_t L;
  double M;
  double* mean;
  double* var;
  __device__ T ref(int64_t c) const { return x[c * L]; }
  __device__ void terms(int64_t i, T x0, T& u, T& v) const {
    const T s = x[i] - x0;
    u = s;
    v = s * s;
  }
  __device__ void finish(int64_t c, T x0, double s1, double s2) const {
    const double m = s1 / M;
    mean[c] = static_cast<double>(x0) + m;
    var[c] = fmax(0.0, s2 / M - m * m);
  }
};

// The backward's sums: g and g (x - mean).
template <class T> struct GradSums {
  const T* g;
  const T* x;
  Strided<const T> mean;
  double* sum_g;
  double* sum_gx;
  __device__ T ref(int64_t c) const { return mean[c]; }
  __device__ void terms(int64_t i, T m, T& u, T& v) const {
    u = g[i];
    v = g[i] * (x[i] - m);
  }
  __device__ void finish(int64_t c, T, double s1, double s2) const {
    sum_g[c] = s1;
    sum_gx[c] = s2;
  }
};

// L >= 32: block (c, y) reduces rows [y R, (y + 1) R) of channel c; warp w
// reads rows n = w, w + 8, ... Without a split (gridDim.y == 1) it finishes
// the channel, else it writes partial[y][c].
template <class T, class R>
__global__ void channel_reduce_rows(R r, int64_t N, int64_t C, int64_t L, int64_t rows_per_split,
                                    double* part1, double* part2) {
  const int64_t c = blockIdx.x;
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  const int64_t n0 = static_cast<int64_t>(blockIdx.y) * rows_per_split;
  const int64_t n1 = min(N, n0 + rows_per_split);
  const T ref = r.ref(c);
  double s1 = 0, s2 = 0;
  for (int64_t n = n0 + warp; n < n1; n += kWarps) {
    const int64_t base = (n * C + c) * L;
    for (int64_t l = lane; l < L; l += kWarp) {
      T u, v;
      r.terms(base + l, ref, u, v);
      s1 += static_cast<double>(u);
      s2 += static_cast<double>(v);
    }
  }
  s1 = warp_sum(s1);
  s2 = warp_sum(s2);
  __shared__ double part[2][kWarps];
  if (lane == 0) part[0][warp] = s1, part[1][warp] = s2;
  __syncthreads();
  if (threadIdx.x == 0) {
    double t1 = 0, t2 = 0;
    for (int w = 0; w < kWarps; ++w) t1 += part[0][w], t2 += part[1][w];
    if (gridDim.y == 1) {
      r.finish(c, ref, t1, t2);
    } else {
      part1[blockIdx.y * C + c] = t1;
      part2[blockIdx.y * C + c] = t2;
    }
  }
}

// L < 32, first pass: column k of the N x W matrix (W = C L), rows of chunk
// blockIdx.y; block (32, 8). Writes partial[chunk][k] for both sums.
template <class T, class R>
__global__ void channel_reduce_columns(R r, int64_t N, int64_t W, int64_t L, int64_t rows_per_chunk,
                                       double* part1, double* part2) {
  const int64_t k = static_cast<int64_t>(blockIdx.x) * kWarp + threadIdx.x;
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * rows_per_chunk;
  const int64_t r1 = min(N, r0 + rows_per_chunk);
  double s1 = 0, s2 = 0;
  if (k < W) {
    const T ref = r.ref(k / L);
    for (int64_t n = r0 + threadIdx.y; n < r1; n += blockDim.y) {
      T u, v;
      r.terms(n * W + k, ref, u, v);
      s1 += static_cast<double>(u);
      s2 += static_cast<double>(v);
    }
  }
  __shared__ double sh[2][kWarps][kWarp + 1];
  sh[0][threadIdx.y][threadIdx.x] = s1;
  sh[1][threadIdx.y][threadIdx.x] = s2;
  __syncthreads();
  if (threadIdx.y == 0 && k < W) {
    for (int y = 1; y < kWarps; ++y) s1 += sh[0][y][threadIdx.x], s2 += sh[1][y][threadIdx.x];
    part1[blockIdx.y * W + k] = s1;
    part2[blockIdx.y * W + k] = s2;
  }
}

// L < 32, second pass: channel c adds its L columns of every chunk.
template <class T, class R>
__global__ void channel_reduce_finish(R r, int64_t C, int64_t L, int64_t chunks,
                                      const double* part1, const double* part2) {
  DC_CUDA_LOOP(c, C) {
    double s1 = 0, s2 = 0;
    const int64_t W = C * L;
    for (int64_t y = 0; y < chunks; ++y)
      for (int64_t l = 0; l < L; ++l) s1 += part1[y * W + c * L + l], s2 += part2[y * W + c * L + l];
    r.finish(c, r.ref(c), s1, s2);
  }
}

// Splits n rows into about `want` parts of at least `min_rows` rows each:
// (parts, rows per part).
std::pair<int64_t, int64_t> split_rows(int64_t n, int64_t want, int64_t min_rows) {
  int64_t parts = std::min<int64_t>(want, std::max<int64_t>(1, n / std::max<int64_t>(min_rows, 1)));
  parts = std::max<int64_t>(1, std::min<int64_t>(parts, 65535));
  const int64_t rows = (n + parts - 1) / parts;
  return {(n + rows - 1) / rows, rows};
}

constexpr int64_t kTargetBlocks = 1024;  // ~ a few waves on large GPUs

template <class T, class R>
void channel_reduce(const Array& like, R r, int64_t N, int64_t C, int64_t L) {
  cudaStream_t s = stream_of(like);
  if (L >= kShortRun) {
    // Few channels (C << number of SMs) would leave the GPU idle: split the
    // rows over more blocks, each with at least ~8K elements.
    auto [parts, rows] = split_rows(N, (kTargetBlocks + C - 1) / C, (8192 + L - 1) / L);
    Array part;
    double *p1 = nullptr, *p2 = nullptr;
    if (parts > 1) {
      part = Array::empty({2, parts, C}, DType::Float64, like.device());
      p1 = part.data<double>();
      p2 = p1 + parts * C;
    }
    channel_reduce_rows<T><<<dim3(static_cast<unsigned>(C), static_cast<unsigned>(parts)),
                             kThreads, 0, s>>>(r, N, C, L, rows, p1, p2);
    if (parts > 1) {
      check_launch("batch_norm");
      channel_reduce_finish<T><<<blocks_for(C), kThreads, 0, s>>>(r, C, 1, parts, p1, p2);
    }
    return;
  }
  const int64_t W = C * L;
  const int64_t col_blocks = (W + kWarp - 1) / kWarp;
  auto [chunks, rows] = split_rows(N, std::max<int64_t>(1, kTargetBlocks / col_blocks), 64);
  Array part = Array::empty({2, chunks, W}, DType::Float64, like.device());
  double* p1 = part.data<double>();
  double* p2 = p1 + chunks * W;
  channel_reduce_columns<T><<<dim3(static_cast<unsigned>(col_blocks), static_cast<unsigned>(chunks)),
                              dim3(kWarp, kWarps), 0, s>>>(r, N, W, L, rows, p1, p2);
  check_launch("batch_norm");
  channel_reduce_finish<T><<<blocks_for(C), kThreads, 0, s>>>(r, C, L, chunks, p1, p2);
}

// out[i] = f(i, c) over the (N, C, L) elements. Long runs: a block per row
// (n, c), threads along l, the channel read once per row. Short runs: flat
// over the elements, in 32-bit indices when they fit (64-bit division is
// many instructions).
template <class F>
__global__ void per_element_rows(F f, int64_t rows, int64_t C, int64_t L) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const int64_t c = r % C;
    for (int64_t l = threadIdx.x; l < L; l += blockDim.x) f(r * L + l, c);
  }
}

template <class I, class F>
__global__ void per_element_flat(F f, I n, I C, I L) {
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<I>(blockDim.x) * gridDim.x)
    f(static_cast<int64_t>(i), static_cast<int64_t>((i / L) % C));
}

template <class F>
void per_element(const Array& out, F f, int64_t N, int64_t C, int64_t L) {
  cudaStream_t s = stream_of(out);
  const int64_t n = N * C * L;
  if (L >= 128) {
    per_element_rows<<<blocks_for(N * C, 1), kThreads, 0, s>>>(f, N * C, C, L);
  } else if (n < (1LL << 31)) {  // i + grid stride cannot wrap around
    per_element_flat<uint32_t><<<blocks_for(n), kThreads, 0, s>>>(
        f, static_cast<uint32_t>(n), static_cast<uint32_t>(C), static_cast<uint32_t>(L));
  } else {
    per_element_flat<int64_t><<<blocks_for(n), kThreads, 0, s>>>(f, n, C, L);
  }
}

template <class T> struct Apply {
  T* y;
  const T* x;
  Strided<const T> mean;
  const double *scale, *shift;
  __device__ void operator()(int64_t i, int64_t c) const {
    y[i] = (x[i] - mean[c]) * static_cast<T>(scale[c]) + static_cast<T>(shift[c]);
  }
};

template <class T> struct GradInput {
  T* gx;
  const T *g, *x;
  Strided<const T> mean;
  const double *a, *b, *d;
  __device__ void operator()(int64_t i, int64_t c) const {
    gx[i] = static_cast<T>(a[c]) * g[i] + static_cast<T>(b[c]) * (x[i] - mean[c]) +
            static_cast<T>(d[c]);
  }
};

// The per-channel forward step (csrc/cpu/norm.cpp's loop, one thread per c).
template <class T> struct ForwardChannels {
  const double *mean, *var;
  Strided<T> rm, rv;  // p == nullptr when absent
  Strided<const T> w, b;
  bool training, update;
  double momentum, eps, unbias;
  int64_t M;
  T *mean_out, *invstd_out;
  double *scale, *shift;
};

template <class T>
__global__ void forward_channels_kernel(ForwardChannels<T> k, int64_t C) {
  DC_CUDA_LOOP(c, C) {
    double m = NAN, v = NAN;
    if (!k.training) {
      m = static_cast<double>(k.rm[c]);
      v = static_cast<double>(k.rv[c]);
    } else if (k.M > 0) {
      m = k.mean[c];
      v = k.var[c];
    }
    if (k.update) {
      T& rm = k.rm[c];
      T& rv = k.rv[c];
      rm = static_cast<T>((1.0 - k.momentum) * static_cast<double>(rm) + k.momentum * m);
      rv = static_cast<T>((1.0 - k.momentum) * static_cast<double>(rv) + k.momentum * (v * k.unbias));
    }
    const T mean_t = static_cast<T>(m);
    const T invstd_t = static_cast<T>(1.0 / sqrt(v + k.eps));
    k.mean_out[c] = mean_t;
    k.invstd_out[c] = invstd_t;
    double scale = static_cast<double>(invstd_t);
    if (k.w.p) scale *= static_cast<double>(k.w[c]);
    k.scale[c] = scale;
    k.shift[c] = k.b.p ? static_cast<double>(k.b[c]) : 0.0;
  }
}

template <class T> struct BackwardChannels {
  Strided<const T> invstd, w;  // w.p == nullptr when absent
  const double *sum_g, *sum_gx;  // nullptr: zero
  bool training, need_input;
  double M;
  double *a, *b, *d;
  T *gw, *gb;  // nullptr when not asked for
};

template <class T>
__global__ void backward_channels_kernel(BackwardChannels<T> k, int64_t C) {
  DC_CUDA_LOOP(c, C) {
    const double is = static_cast<double>(k.invstd[c]);
    const double w = k.w.p ? static_cast<double>(k.w[c]) : 1.0;
    const double sg = k.sum_g ? k.sum_g[c] : 0.0;
    const double sgx = k.sum_gx ? k.sum_gx[c] : 0.0;
    if (k.need_input) {
      const double a = w * is;
      k.a[c] = a;
      k.b[c] = k.training ? -a * is * is * sgx / k.M : 0.0;
      k.d[c] = k.training ? -a * sg / k.M : 0.0;
    }
    if (k.gw) k.gw[c] = static_cast<T>(sgx * is);
    if (k.gb) k.gb[c] = static_cast<T>(sg);
  }
}

template <class T> Strided<T> strided_opt(const std::optional<Array>& a) {
  return a ? strided<T>(*a) : Strided<T>{nullptr, 0};
}

}  // namespace

void batch_norm_stats(const Array& x, int64_t N, int64_t C, int64_t L, const Array& mean,
                      const Array& var) {
  DeviceGuard guard(x);
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    StatsSums<T> r{x.data<T>(), L, static_cast<double>(N * L), mean.data<double>(),
                   var.data<double>()};
    channel_reduce<T>(x, r, N, C, L);
  });
  check_launch("batch_norm");
}

void batch_norm_forward_channels(const BatchNormForwardChannels& k) {
  const int64_t C = k.mean_out.numel();
  DeviceGuard guard(k.mean_out);
  visit_floating(k.mean_out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    ForwardChannels<T> f;
    const bool stats = k.training && k.M > 0;
    f.mean = stats ? k.mean.data<double>() : nullptr;
    f.var = stats ? k.var.data<double>() : nullptr;
    f.rm = strided_opt<T>(k.running_mean);
    f.rv = strided_opt<T>(k.running_var);
    f.w = strided_opt<const T>(k.weight);
    f.b = strided_opt<const T>(k.bias);
    f.training = k.training;
    f.update = stats && k.running_mean.has_value();
    f.momentum = k.momentum;
    f.eps = k.eps;
    f.unbias = k.M > 1 ? static_cast<double>(k.M) / static_cast<double>(k.M - 1) : 0.0;
    f.M = k.M;
    f.mean_out = k.mean_out.data<T>();
    f.invstd_out = k.invstd_out.data<T>();
    f.scale = k.scale.data<double>();
    f.shift = k.shift.data<double>();
    forward_channels_kernel<T><<<blocks_for(C), kThreads, 0, stream_of(k.mean_out)>>>(f, C);
  });
  check_launch("batch_norm");
}

void batch_norm_apply(const Array& y, const Array& x, int64_t N, int64_t C, int64_t L,
                      const Array& mean, const Array& scale, const Array& shift) {
  DeviceGuard guard(x);
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Apply<T> f{y.data<T>(), x.data<T>(), strided<const T>(mean), scale.data<double>(),
               shift.data<double>()};
    per_element(y, f, N, C, L);
  });
  check_launch("batch_norm");
}

void batch_norm_grad_sums(const Array& g, const Array& x, int64_t N, int64_t C, int64_t L,
                          const Array& mean, const Array& sum_g, const Array& sum_gx) {
  DeviceGuard guard(x);
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    GradSums<T> r{g.data<T>(), x.data<T>(), strided<const T>(mean), sum_g.data<double>(),
                  sum_gx.data<double>()};
    channel_reduce<T>(x, r, N, C, L);
  });
  check_launch("batch_norm_backward");
}

void batch_norm_backward_channels(const BatchNormBackwardChannels& k) {
  const int64_t C = k.invstd.numel();
  DeviceGuard guard(k.invstd);
  visit_floating(k.invstd.dtype(), [&](auto tag) {
    using T = decltype(tag);
    BackwardChannels<T> f;
    f.invstd = strided<const T>(k.invstd);
    f.w = strided_opt<const T>(k.weight);
    f.sum_g = k.have_sums ? k.sum_g.data<double>() : nullptr;
    f.sum_gx = k.have_sums ? k.sum_gx.data<double>() : nullptr;
    f.training = k.training;
    f.need_input = k.need_input;
    f.M = static_cast<double>(k.M);
    f.a = k.need_input ? k.a.data<double>() : nullptr;
    f.b = k.need_input ? k.b.data<double>() : nullptr;
    f.d = k.need_input ? k.d.data<double>() : nullptr;
    f.gw = k.grad_weight ? k.grad_weight->data<T>() : nullptr;
    f.gb = k.grad_bias ? k.grad_bias->data<T>() : nullptr;
    backward_channels_kernel<T><<<blocks_for(C), kThreads, 0, stream_of(k.invstd)>>>(f, C);
  });
  check_launch("batch_norm_backward");
}

void batch_norm_grad_input(const Array& gx, const Array& g, const Array& x, int64_t N, int64_t C,
                           int64_t L, const Array& mean, const Array& a, const Array& b,
                           const Array& d) {
  DeviceGuard guard(x);
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    GradInput<T> f{gx.data<T>(), g.data<T>(), x.data<T>(), strided<const T>(mean),
                   a.data<double>(), b.data<double>(), d.data<double>()};
    per_element(gx, f, N, C, L);
  });
  check_launch("batch_norm_backward");
}

}  // namespace dc::cuda
