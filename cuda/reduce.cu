// CUDA reductions: sum, mean, var/std, amax/amin, all/any, argmax/argmin
// (with values). Same reducers and accuracy contract as cpu/reduce.cpp.
//
// Math. The input is M outputs x K reduced positions; each output folds its K
// elements into an accumulator, exactly as the CPU does:
//   sum/mean  a double (float32 inputs too: the CPU's contract) or a wrapping
//             uint64 (int64/bool inputs);
//   var/std   Welford's (n, mean, M2), partial states merged with Chan et
//             al.'s formula (numerically stable in any fold order);
//   max/min   the best value, NaN wins;
//   arg ops   (value, index), ties to the lower index, NaN wins: the result
//             does not depend on the fold order, so it matches the CPU exactly.
// Sums differ from the CPU only by summation order (double accumulators make
// that invisible in float32).
// Cost: M*K reads of 4 or 8 bytes, ~1 FLOP each (var/std ~6 and a division),
// M writes: memory-bound (an H100 streams ~3 TB/s, so a float32 sum of 2^24
// elements should take ~25 us; double accumulation is cheap on data-center GPUs).
//
// Geometry. Reduced dims and kept dims are each merged where their strides
// allow and size-1 dims dropped (as the CPU). Each list is walked with its
// smallest-stride dim innermost, so consecutive threads read neighbouring
// memory; a reduced position also carries its row-major index (arg ops) and
// an output position its offset in the contiguous output.
// Kernels:
//  - row: the reduced dims hold the smallest stride (sum over the last dim,
//    full reductions). One warp per output (K <= 512, or 8192+ outputs, which
//    fill the GPU on their own), else one 256-thread block per output;
//    lanes stride over the reduced positions, then a warp-shuffle tree (and
//    shared memory across warps) combines the lanes.
//  - column: a kept dim holds the smallest stride (sum over dim 0 of (N, F)),
//    or K is tiny (max over 10 classes). Blocks of 32 x 8 threads: x walks 32
//    neighbouring outputs (coalesced), y splits the reduced positions; the 8
//    partial states combine in shared memory in a fixed order.
//  - two-pass: with few outputs (full reductions, (4096, 4096) over dim 0) the
//    reduced positions are cut into chunks, each block writes one partial state
//    per (chunk, output) and a second kernel folds them in chunk order.
// Chunk counts depend on shapes only and every combine has a fixed order, so
// a result is bitwise reproducible from run to run.
#include "reduce.h"
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>
#include "common.cuh"
#include "core/host_device.h"

namespace dc::cuda {

namespace {

constexpr int kWarp = 32;
constexpr int kColX = 32, kColY = 8;     // column kernel block
constexpr int64_t kWarpMaxK = 512;       // up to this many reduced elements per task: one warp
constexpr int64_t kManyTasks = 8192;     // or this many tasks: a warp each still fills the GPU
constexpr int64_t kTargetBlocks = 512;   // enough blocks to fill a large GPU
constexpr int64_t kChunkRow = 4096;      // least elements per chunk of a split row reduction
constexpr int64_t kChunkCol = 256;       // least reduced positions per column chunk

// The reducers (SumR, VarR, ...) and the geometry (Dim, Geometry,
// make_geometry), shared with cpu/reduce.cpp.
#include "ops/kernels/reducers.inc"

// ---------------------------------------------------------------- geometry
// Positions of a dim list, counted with dims[0] outermost: position p has
// input offset sum(idx * stride) and weight sum(idx * weight).
struct Walk {
  int n = 0;
  int64_t size[kMaxDims] = {}, stride[kMaxDims] = {}, weight[kMaxDims] = {};

  __device__ __forceinline__ void at(int64_t p, int64_t& off, int64_t& w) const {
    off = 0;
    w = 0;
    for (int d = n - 1; d > 0; --d) {
      const int64_t i = p % size[d];
      p /= size[d];
      off += i * stride[d];
      w += i * weight[d];
    }
    if (n > 0) {
      off += p * stride[0];
      w += p * weight[0];
    }
  }
};

// The shared geometry with each kept dim's index set to its stride in the
// output (contiguous over the kept dims), so that an output position walks
// like a reduced one.
Geometry make_output_geometry(const Array& a, const std::vector<bool>& reduced) {
  Geometry g = make_geometry(a, reduced);
  int64_t os = 1;
  for (size_t d = g.kept.size(); d-- > 0;) {
    g.kept[d].index = os;
    os *= g.kept[d].size;
  }
  return g;
}

// The dims ordered for walking: the smallest |stride| innermost.
Walk make_walk(const char* op, std::vector<Dim> dims) {
  if (dims.size() > static_cast<size_t>(kMaxDims))
    fail<NotImplementedError>(op, ": the CUDA reduction supports at most ", kMaxDims,
                              " non-mergeable dims (got ", dims.size(), ")");
  std::stable_sort(dims.begin(), dims.end(), [](const Dim& p, const Dim& q) {
    return std::llabs(p.stride) > std::llabs(q.stride);
  });
  Walk w;
  w.n = static_cast<int>(dims.size());
  for (int d = 0; d < w.n; ++d) {
    w.size[d] = dims[d].size;
    w.stride[d] = dims[d].stride;
    w.weight[d] = dims[d].index;
  }
  return w;
}

int64_t min_stride(const std::vector<Dim>& dims) {
  int64_t s = std::numeric_limits<int64_t>::max();
  for (const Dim& d : dims) s = std::min<int64_t>(s, std::llabs(d.stride));
  return s;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// ---------------------------------------------------------------- kernels
// A state moved between lanes as 32-bit words (bool, double, Welford, ...).
template <class Acc>
__device__ __forceinline__ Acc shfl_down(const Acc& a, int delta) {
  constexpr int kWords = (sizeof(Acc) + 3) / 4;
  int w[kWords] = {};
  ::memcpy(w, &a, sizeof(Acc));
#pragma unroll
  for (int i = 0; i < kWords; ++i) w[i] = __shfl_down_sync(0xffffffffu, w[i], delta);
  Acc r;
  ::memcpy(&r, w, sizeof(Acc));
  return r;
}

// Lane 0 gets the fold of the 32 lanes' states (all lanes must take part).
template <class R>
__device__ __forceinline__ typename R::Acc warp_combine(const R& r, typename R::Acc a) {
#pragma unroll
  for (int o = kWarp / 2; o > 0; o /= 2) {
    typename R::Acc b = shfl_down(a, o);
    r.combine(a, b);
  }
  return a;
}

// Tasks are (output, chunk) pairs, task = m * chunks + c; each is folded by a
// group of G threads (a warp, or the whole block when G == blockDim.x).
// chunks == 1: store into out; else partial[c * M + output offset] = state.
template <class R, int G>
__global__ void row_kernel(R r, const typename R::In* __restrict__ x,
                           const __grid_constant__ Walk kept, const __grid_constant__ Walk red,
                           int64_t M, int64_t K, int64_t chunks,
                           typename R::Acc* __restrict__ partial) {
  using Acc = typename R::Acc;
  constexpr int kGroups = kThreads / G;
  const int lane = threadIdx.x % G, group = threadIdx.x / G;
  const int64_t tasks = M * chunks;
  // Every thread of a block runs the same number of iterations (barriers).
  for (int64_t t0 = static_cast<int64_t>(blockIdx.x) * kGroups; t0 < tasks;
       t0 += static_cast<int64_t>(gridDim.x) * kGroups) {
    const int64_t t = t0 + group;
    Acc acc = r.init();
    int64_t out_off = 0, c = 0;
    if (t < tasks) {
      const int64_t m = t / chunks;
      c = t % chunks;
      int64_t base;
      kept.at(m, base, out_off);
      const int64_t k0 = K * c / chunks, k1 = K * (c + 1) / chunks;
      for (int64_t k = k0 + lane; k < k1; k += G) {
        int64_t off, idx;
        red.at(k, off, idx);
        r.step(acc, x[base + off], idx);
      }
    }
    acc = warp_combine(r, acc);
    if constexpr (G > kWarp) {  // the warps' states meet in shared memory
      __shared__ __align__(16) unsigned char smem_raw[(G / kWarp) * sizeof(Acc)];
      Acc* smem = reinterpret_cast<Acc*>(smem_raw);
      const int warp = threadIdx.x / kWarp;
      if (threadIdx.x % kWarp == 0) smem[warp] = acc;
      __syncthreads();
      if (warp == 0) {
        acc = threadIdx.x < G / kWarp ? smem[threadIdx.x] : r.init();
        acc = warp_combine(r, acc);
      }
      __syncthreads();
    }
    if (lane == 0 && t < tasks) {
      if (chunks == 1) r.store(out_off, acc);
      else partial[c * M + out_off] = acc;
    }
  }
}

// blockDim (kColX, kColY); blockIdx.y is the chunk of the reduced positions.
template <class R>
__global__ void column_kernel(R r, const typename R::In* __restrict__ x,
                              const __grid_constant__ Walk kept, const __grid_constant__ Walk red,
                              int64_t M, int64_t K, int64_t chunks,
                              typename R::Acc* __restrict__ partial) {
  using Acc = typename R::Acc;
  __shared__ __align__(16) unsigned char smem_raw[kColY * kColX * sizeof(Acc)];
  Acc* smem = reinterpret_cast<Acc*>(smem_raw);
  const int64_t c = blockIdx.y;
  const int64_t k0 = K * c / chunks, k1 = K * (c + 1) / chunks;
  const int tx = threadIdx.x, ty = threadIdx.y;
  for (int64_t m0 = static_cast<int64_t>(blockIdx.x) * kColX; m0 < M;
       m0 += static_cast<int64_t>(gridDim.x) * kColX) {
    const int64_t m = m0 + tx;
    Acc acc = r.init();
    int64_t base = 0, out_off = 0;
    if (m < M) {
      kept.at(m, base, out_off);
      for (int64_t k = k0 + ty; k < k1; k += kColY) {
        int64_t off, idx;
        red.at(k, off, idx);
        r.step(acc, x[base + off], idx);
      }
    }
    smem[ty * kColX + tx] = acc;
    __syncthreads();
    if (ty == 0 && m < M) {
      for (int y = 1; y < kColY; ++y) r.combine(acc, smem[y * kColX + tx]);
      if (chunks == 1) r.store(out_off, acc);
      else partial[c * M + out_off] = acc;
    }
    __syncthreads();
  }
}

// Second pass: output m folds its chunks' states in chunk order.
template <class R>
__global__ void combine_kernel(R r, const typename R::Acc* __restrict__ partial, int64_t M,
                               int64_t chunks) {
  DC_CUDA_LOOP(m, M) {
    typename R::Acc acc = partial[m];
    for (int64_t c = 1; c < chunks; ++c) r.combine(acc, partial[c * M + m]);
    r.store(m, acc);
  }
}

// An empty reduction: every output is the initial state.
template <class R>
__global__ void init_kernel(R r, int64_t M) {
  DC_CUDA_LOOP(m, M) r.store(m, r.init());
}

template <class R>
void run(const char* op, const R& r, const Array& out, const Array& a,
         const std::vector<bool>& reduced) {
  using Acc = typename R::Acc;
  const Geometry g = make_output_geometry(a, reduced);
  const int64_t M = g.M, K = g.K;
  if (M == 0) return;
  DeviceGuard guard(a);
  cudaStream_t s = stream_of(out);
  if (K == 0) {
    init_kernel<<<blocks_for(M), kThreads, 0, s>>>(r, M);
    check_launch(op);
    return;
  }
  const Walk kept = make_walk(op, g.kept), red = make_walk(op, g.red);
  const auto* x = a.data<typename R::In>();
  const bool column = !g.kept.empty() && (min_stride(g.kept) < min_stride(g.red) || K < kWarp);
  int64_t chunks = 1;
  if (column) {
    const int64_t out_blocks = ceil_div(M, kColX);
    if (out_blocks < kTargetBlocks / 2)
      chunks = std::max<int64_t>(1, std::min(ceil_div(kTargetBlocks, out_blocks), K / kChunkCol));
    chunks = std::min<int64_t>(chunks, 65535);  // gridDim.y's limit
  } else if (M < kTargetBlocks / 2) {
    chunks = std::max<int64_t>(1, std::min(ceil_div(kTargetBlocks, M), K / kChunkRow));
  }
  Array scratch;  // the partial states of a two-pass reduction
  Acc* partial = nullptr;
  if (chunks > 1) {
    scratch = Array::empty({static_cast<int64_t>(chunks * M * sizeof(Acc))}, DType::Bool, a.device());
    partial = static_cast<Acc*>(scratch.data_ptr());
  }
  if (column) {
    const dim3 grid(static_cast<unsigned>(std::min(ceil_div(M, kColX), kMaxBlocks)),
                    static_cast<unsigned>(chunks));
    column_kernel<<<grid, dim3(kColX, kColY), 0, s>>>(r, x, kept, red, M, K, chunks, partial);
  } else if (K / chunks <= kWarpMaxK || M * chunks >= kManyTasks) {
    const int64_t blocks = std::min(ceil_div(M * chunks, kThreads / kWarp), kMaxBlocks);
    row_kernel<R, kWarp><<<static_cast<unsigned>(blocks), kThreads, 0, s>>>(r, x, kept, red, M, K,
                                                                            chunks, partial);
  } else {
    const int64_t blocks = std::min(M * chunks, kMaxBlocks);
    row_kernel<R, kThreads><<<static_cast<unsigned>(blocks), kThreads, 0, s>>>(r, x, kept, red, M,
                                                                               K, chunks, partial);
  }
  check_launch(op);
  if (chunks > 1) {
    combine_kernel<<<blocks_for(M), kThreads, 0, s>>>(r, partial, M, chunks);
    check_launch(op);
  }
}

}  // namespace

void reduce(ReduceOp op, const Array& out, const Array& a, const std::vector<bool>& reduced,
            double correction) {
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    constexpr bool fp = std::is_floating_point_v<T>;
    switch (op) {
      case ReduceOp::Sum:
        if constexpr (fp) return run("sum", SumR<T, T, false>{out.data<T>(), 0}, out, a, reduced);
        else return run("sum", SumR<T, int64_t, false>{out.data<int64_t>(), 0}, out, a, reduced);
      case ReduceOp::Mean:
        if constexpr (fp)
          return run("mean", SumR<T, T, true>{out.data<T>(), reduced_count(a, reduced)}, out, a,
                     reduced);
        else return;
      case ReduceOp::Var:
        if constexpr (fp) return run("var", VarR<T, false>{out.data<T>(), correction}, out, a, reduced);
        else return;
      case ReduceOp::Std:
        if constexpr (fp) return run("std", VarR<T, true>{out.data<T>(), correction}, out, a, reduced);
        else return;
      case ReduceOp::Max: return run("amax", ExtremeR<T, true>{out.data<T>()}, out, a, reduced);
      case ReduceOp::Min: return run("amin", ExtremeR<T, false>{out.data<T>()}, out, a, reduced);
      case ReduceOp::All: return run("all", LogicR<T, true>{out.data<bool>()}, out, a, reduced);
      case ReduceOp::Any: return run("any", LogicR<T, false>{out.data<bool>()}, out, a, reduced);
    }
  });
}

void arg_reduce(bool is_max, const Array* values, const Array& indices, const Array& a,
                const std::vector<bool>& reduced) {
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* v = values ? values->data<T>() : nullptr;
    if (is_max) run("argmax", ArgR<T, true>{v, indices.data<int64_t>()}, indices, a, reduced);
    else run("argmin", ArgR<T, false>{v, indices.data<int64_t>()}, indices, a, reduced);
  });
}

}  // namespace dc::cuda
