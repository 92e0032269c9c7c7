// CUDA indexing kernels: a[indices], index_put_ (with accumulate), the range
// check of index values, nonzero, gather and scatter_add.
//
// a[indices]: with the index arrays broadcast to B and the dims of a that are
// not indexed forming a block, every element of the result is
//   out[i] = a[rest_off(i) + sum_j wrap(idx_j[b(i)]) * stride_j]
// one thread per element (grid-stride), the result's dims merged where every
// operand's strides allow, so an embedding lookup (V, D)[idx] walks 2 dims.
// No FLOPs: 2 * numel * itemsize bytes moved plus 8 bytes per index value
// read (index values are re-read per block element; they hit in L1/L2).
// index_put_ is the same walk writing a; with accumulate it adds with
// atomicAdd, so repeated indices sum correctly but in an unspecified order
// (float sums may differ in the last bits from run to run; PyTorch's default
// non-deterministic path does the same). gather/scatter_add are one thread
// per index element, scatter_add with atomicAdd.
// find_out_of_range: one pass, atomicMin of the first bad position, one
// 8-byte read by the host (the op must raise before any kernel uses the
// indices). nonzero: pass 1 counts the non-zeros of each 4096-element tile,
// the host turns the counts into offsets (it must know the output's size),
// pass 2 re-reads each tile and writes the positions in row-major order,
// ranks found with warp ballots.
#include "index.h"
#include <algorithm>
#include <type_traits>
#include <vector>
#include "common.cuh"

namespace dc::cuda {

namespace {

constexpr int kWarp = 32;
constexpr int kMaxIdx = kMaxDims;  // index arrays in one a[indices]

// ---------------------------------------------------------------- a[indices]
struct IndexGeo {
  int nd = 0, nidx = 0;              // merged result dims, index arrays
  int64_t size[kMaxDims] = {};
  int64_t a_stride[kMaxDims] = {};   // a's stride along the result dim (0 on B's dims)
  int64_t v_stride[kMaxDims] = {};   // the result's (out / values) stride
  int64_t i_stride[kMaxIdx][kMaxDims] = {};  // index array j's stride (0 off B's dims)
  const int64_t* idx[kMaxIdx] = {};
  int64_t dim_size[kMaxIdx] = {}, dim_stride[kMaxIdx] = {};  // the indexed dims of a

  // Offsets in a and in the result of the result's element i.
  __device__ __forceinline__ void at(int64_t i, int64_t& aoff, int64_t& voff) const {
    int64_t ioff[kMaxIdx];
#pragma unroll
    for (int j = 0; j < kMaxIdx; ++j) ioff[j] = 0;
    aoff = voff = 0;
    for (int d = nd - 1; d >= 0; --d) {
      const int64_t c = i % size[d];
      i /= size[d];
      aoff += c * a_stride[d];
      voff += c * v_stride[d];
#pragma unroll
      for (int j = 0; j < kMaxIdx; ++j)
        if (j < nidx) ioff[j] += c * i_stride[j][d];
    }
#pragma unroll
    for (int j = 0; j < kMaxIdx; ++j) {
      if (j < nidx) {
        const int64_t v = idx[j][ioff[j]];
        aoff += (v < 0 ? v + dim_size[j] : v) * dim_stride[j];
      }
    }
  }
};

// `v` has plan.result_shape (out, or the broadcast view of the values).
IndexGeo make_geo(const char* op, const Array& a, const Array& v, const IndexPlan& p) {
  const size_t nidx = p.idx.size(), nbd = p.bshape.size(), nr = p.result_shape.size();
  if (nidx > static_cast<size_t>(kMaxIdx))
    fail<NotImplementedError>(op, ": the CUDA kernel takes at most ", kMaxIdx,
                              " index tensors (got ", nidx, ")");
  IndexGeo g;
  g.nidx = static_cast<int>(nidx);
  for (size_t j = 0; j < nidx; ++j) {
    g.idx[j] = p.idx[j].data<int64_t>();
    g.dim_size[j] = a.shape()[p.dims[j]];
    g.dim_stride[j] = a.strides()[p.dims[j]];
  }
  // Result dims in order, size-1 dims dropped, neighbours merged when every
  // operand's strides continue across them.
  for (size_t r = 0; r < nr; ++r) {
    const int64_t size = p.result_shape[r];
    if (size == 1) continue;
    const bool in_b = r >= static_cast<size_t>(p.b_at) && r < p.b_at + nbd;
    const int64_t as = in_b ? 0 : a.strides()[p.rest[r < static_cast<size_t>(p.b_at) ? r : r - nbd]];
    const int64_t vs = v.strides()[r];
    int64_t is[kMaxIdx] = {};
    for (size_t j = 0; j < nidx; ++j) is[j] = in_b ? p.idx[j].strides()[r - p.b_at] : 0;
    if (g.nd > 0) {
      const int q = g.nd - 1;
      bool merge = g.a_stride[q] == as * size && g.v_stride[q] == vs * size;
      for (size_t j = 0; j < nidx; ++j) merge = merge && g.i_stride[j][q] == is[j] * size;
      if (merge) {
        g.size[q] *= size;
        g.a_stride[q] = as;
        g.v_stride[q] = vs;
        for (size_t j = 0; j < nidx; ++j) g.i_stride[j][q] = is[j];
        continue;
      }
    }
    if (g.nd == kMaxDims)
      fail<NotImplementedError>(op, ": the CUDA kernel supports results with at most ", kMaxDims,
                                " non-mergeable dims (result shape ", shape_str(p.result_shape), ")");
    const int q = g.nd++;
    g.size[q] = size;
    g.a_stride[q] = as;
    g.v_stride[q] = vs;
    for (size_t j = 0; j < nidx; ++j) g.i_stride[j][q] = is[j];
  }
  return g;
}

template <class T>
__global__ void index_kernel(T* __restrict__ out, const T* __restrict__ a,
                             const __grid_constant__ IndexGeo g, int64_t n) {
  DC_CUDA_LOOP(i, n) {
    int64_t aoff, voff;
    g.at(i, aoff, voff);
    out[voff] = a[aoff];
  }
}

// d += s as one atomic read-modify-write (bool: d = d || s).
template <class T>
__device__ __forceinline__ void atomic_accumulate(T* d, T s) {
  if constexpr (std::is_same_v<T, bool>) {
    if (s) *d = true;  // every writer stores the same value
  } else if constexpr (std::is_same_v<T, int64_t>) {  // two's complement: wraps as the CPU
    atomicAdd(reinterpret_cast<unsigned long long*>(d), static_cast<unsigned long long>(s));
  } else {
    atomicAdd(d, s);
  }
}

template <class T, bool Accumulate>
__global__ void index_put_kernel(T* a, const T* __restrict__ v, const __grid_constant__ IndexGeo g,
                                 int64_t n) {
  DC_CUDA_LOOP(i, n) {
    int64_t aoff, voff;
    g.at(i, aoff, voff);
    if constexpr (Accumulate) atomic_accumulate(a + aoff, v[voff]);
    else a[aoff] = v[voff];
  }
}

// ---------------------------------------------------------------- range check
__global__ void out_of_range_kernel(const int64_t* __restrict__ x, Indexer ix, int64_t n,
                                    int64_t lo, int64_t hi, unsigned long long* first) {
  DC_CUDA_LOOP(i, n) {
    const int64_t v = x[ix.offset(i)];
    if (v < lo || v >= hi) atomicMin(first, static_cast<unsigned long long>(i));
  }
}

// ---------------------------------------------------------------- nonzero
constexpr int kPer = 16;                     // elements per thread per tile
constexpr int64_t kTile = kThreads * kPer;   // elements per block

template <class T>
__global__ void count_kernel(const T* __restrict__ x, int64_t n, int64_t* counts) {
  __shared__ int warp_sum[kThreads / kWarp];
  const int64_t t0 = static_cast<int64_t>(blockIdx.x) * kTile;
  int c = 0;
#pragma unroll
  for (int j = 0; j < kPer; ++j) {
    const int64_t e = t0 + j * kThreads + threadIdx.x;
    c += e < n && x[e] != T(0);
  }
  for (int o = kWarp / 2; o > 0; o /= 2) c += __shfl_down_sync(0xffffffffu, c, o);
  if (threadIdx.x % kWarp == 0) warp_sum[threadIdx.x / kWarp] = c;
  __syncthreads();
  if (threadIdx.x == 0) {
    int64_t s = 0;
    for (int w = 0; w < kThreads / kWarp; ++w) s += warp_sum[w];
    counts[blockIdx.x] = s;
  }
}

struct ShapeArg {
  int nd = 0;
  int64_t size[kMaxDims] = {};
};

// Tile b writes its non-zeros from row offsets[b] on, in element order: in
// each round the 256 threads hold 256 consecutive elements, ranked by ballot.
template <class T>
__global__ void fill_nonzero_kernel(const T* __restrict__ x, int64_t n,
                                    const int64_t* __restrict__ offsets,
                                    const __grid_constant__ ShapeArg shape,
                                    int64_t* __restrict__ out) {
  __shared__ int warp_count[2][kThreads / kWarp];
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  const int64_t t0 = static_cast<int64_t>(blockIdx.x) * kTile;
  int64_t row = offsets[blockIdx.x];
  for (int j = 0; j < kPer; ++j) {
    const int64_t e = t0 + j * kThreads + threadIdx.x;
    const bool flag = e < n && x[e] != T(0);
    const unsigned mask = __ballot_sync(0xffffffffu, flag);
    int* wc = warp_count[j % 2];  // alternate buffers: one barrier per round
    if (lane == 0) wc[warp] = __popc(mask);
    __syncthreads();
    int before = __popc(mask & ((1u << lane) - 1u)), total = 0;
    for (int w = 0; w < kThreads / kWarp; ++w) {
      before += w < warp ? wc[w] : 0;
      total += wc[w];
    }
    if (flag) {
      int64_t* o = out + (row + before) * shape.nd;
      int64_t rem = e;
      for (int d = shape.nd - 1; d >= 0; --d) {
        o[d] = rem % shape.size[d];
        rem /= shape.size[d];
      }
    }
    row += total;
  }
}

// ---------------------------------------------------------------- gather, scatter_add
// `a` viewed with index's shape and no step along dim: the index value adds it.
Indexer along_dim_indexer(const Array& a, int64_t dim, const Array& index) {
  Shape strides = a.strides();
  strides[dim] = 0;
  return make_indexer(a.as_strided(index.shape(), strides, a.offset()));
}

template <class T>
__global__ void gather_kernel(T* __restrict__ out, Indexer oi, const T* __restrict__ a,
                              Indexer ai, int64_t step, const int64_t* __restrict__ idx,
                              Indexer ii, int64_t n) {
  DC_CUDA_LOOP(i, n) out[oi.offset(i)] = a[ai.offset(i) + idx[ii.offset(i)] * step];
}

template <class T>
__global__ void scatter_add_kernel(T* a, Indexer ai, int64_t step, const int64_t* __restrict__ idx,
                                   Indexer ii, const T* __restrict__ src, Indexer si, int64_t n) {
  DC_CUDA_LOOP(i, n) atomic_accumulate(a + ai.offset(i) + idx[ii.offset(i)] * step, src[si.offset(i)]);
}

}  // namespace

void index(const Array& out, const Array& a, const IndexPlan& plan) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const IndexGeo g = make_geo("index", a, out, plan);
  DeviceGuard guard(a);
  visit_dtype(a.dtype(), [&](auto t) {
    using T = decltype(t);
    index_kernel<<<blocks_for(n), kThreads, 0, stream_of(out)>>>(out.data<T>(), a.data<T>(), g, n);
  });
  check_launch("index");
}

void index_put(const Array& a, const Array& values, const IndexPlan& plan, bool accumulate) {
  const int64_t n = shape_numel(plan.result_shape);
  if (n == 0) return;
  const IndexGeo g = make_geo("index_put_", a, values, plan);
  DeviceGuard guard(a);
  visit_dtype(a.dtype(), [&](auto t) {
    using T = decltype(t);
    if (accumulate)
      index_put_kernel<T, true><<<blocks_for(n), kThreads, 0, stream_of(a)>>>(a.data<T>(), values.data<T>(), g, n);
    else
      index_put_kernel<T, false><<<blocks_for(n), kThreads, 0, stream_of(a)>>>(a.data<T>(), values.data<T>(), g, n);
  });
  check_launch("index_put_");
}

bool find_out_of_range(const Array& index, int64_t lo, int64_t hi, int64_t* bad) {
  const int64_t n = index.numel();
  if (n == 0) return false;
  DeviceGuard guard(index);
  const int dev = index.device().index;
  cudaStream_t s = stream_of(index);
  Array first = Array::empty({1}, DType::Int64, index.device());
  auto* fp = reinterpret_cast<unsigned long long*>(first.data_ptr());
  check(cudaMemsetAsync(fp, 0x7f, sizeof(int64_t), s), "index range check");  // > any position
  const Indexer ix = make_indexer(index);
  out_of_range_kernel<<<blocks_for(n), kThreads, 0, s>>>(index.data<int64_t>(), ix, n, lo, hi, fp);
  check_launch("index range check");
  int64_t pos = 0;
  memcpy(&pos, -1, fp, dev, sizeof(pos));  // waits for the kernel
  if (pos < 0 || pos >= n) return false;
  memcpy(bad, -1, index.data<int64_t>() + ix.offset(pos), dev, sizeof(int64_t));
  return true;
}

Array nonzero(const Array& a) {
  const int64_t n = a.numel(), nd = a.ndim();
  if (nd > kMaxDims)
    fail<NotImplementedError>("nonzero: the CUDA kernel supports at most ", kMaxDims,
                              " dims (got ", nd, ")");
  if (n == 0) return Array::empty({0, nd}, DType::Int64, a.device());
  DeviceGuard guard(a);
  const int dev = a.device().index;
  cudaStream_t s = stream_of(a);
  const int64_t tiles = (n + kTile - 1) / kTile;
  Array counts = Array::empty({tiles}, DType::Int64, a.device());
  visit_dtype(a.dtype(), [&](auto t) {
    using T = decltype(t);
    count_kernel<<<static_cast<unsigned>(tiles), kThreads, 0, s>>>(a.data<T>(), n, counts.data<int64_t>());
  });
  check_launch("nonzero");
  // The host needs the total to size the output: exclusive prefix sum here.
  std::vector<int64_t> off(tiles);
  memcpy(off.data(), -1, counts.data_ptr(), dev, tiles * sizeof(int64_t));
  int64_t total = 0;
  for (int64_t& c : off) {
    const int64_t k = c;
    c = total;
    total += k;
  }
  Array out = Array::empty({total, nd}, DType::Int64, a.device());
  if (total == 0 || nd == 0) return out;
  memcpy(counts.data_ptr(), dev, off.data(), -1, tiles * sizeof(int64_t));
  ShapeArg shape;
  shape.nd = static_cast<int>(nd);
  for (int64_t d = 0; d < nd; ++d) shape.size[d] = a.shape()[d];
  visit_dtype(a.dtype(), [&](auto t) {
    using T = decltype(t);
    fill_nonzero_kernel<<<static_cast<unsigned>(tiles), kThreads, 0, s>>>(
        a.data<T>(), n, counts.data<int64_t>(), shape, out.data<int64_t>());
  });
  check_launch("nonzero");
  return out;
}

void gather(const Array& out, const Array& a, int64_t dim, const Array& index) {
  const int64_t n = index.numel();
  if (n == 0) return;
  const Indexer oi = make_indexer(out), ai = along_dim_indexer(a, dim, index),
                ii = make_indexer(index);
  const int64_t step = a.strides()[dim];
  DeviceGuard guard(a);
  visit_dtype(a.dtype(), [&](auto t) {
    using T = decltype(t);
    gather_kernel<<<blocks_for(n), kThreads, 0, stream_of(out)>>>(
        out.data<T>(), oi, a.data<T>(), ai, step, index.data<int64_t>(), ii, n);
  });
  check_launch("gather");
}

void scatter_add(const Array& a, int64_t dim, const Array& index, const Array& src) {
  const int64_t n = index.numel();
  if (n == 0) return;
  // src may be larger than index: read it with index's shape.
  const Array sv = src.as_strided(index.shape(), src.strides(), src.offset());
  const Indexer ai = along_dim_indexer(a, dim, index), ii = make_indexer(index),
                si = make_indexer(sv);
  const int64_t step = a.strides()[dim];
  DeviceGuard guard(a);
  visit_dtype(a.dtype(), [&](auto t) {
    using T = decltype(t);
    scatter_add_kernel<<<blocks_for(n), kThreads, 0, stream_of(a)>>>(
        a.data<T>(), ai, step, index.data<int64_t>(), ii, src.data<T>(), si, n);
  });
  check_launch("scatter_add_");
}

}  // namespace dc::cuda
