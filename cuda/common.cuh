// What every CUDA kernel family shares: launch sizes, device selection, and
// the strided indexer that maps an element's linear (row-major) index in the
// output to its offset in an operand, so kernels read any view; a broadcast
// operand has stride 0 in the broadcast dims.
#pragma once
#include <cuda_runtime.h>
#include <algorithm>
#include <cstdint>
#include "check.cuh"
#include "core/array.h"
#include "core/errors.h"

namespace dc::cuda {

constexpr int kThreads = 256;
// Grid-stride loops cover the rest; more blocks than this only add launch cost.
constexpr int64_t kMaxBlocks = 1 << 16;
constexpr int kMaxDims = 10;

inline int blocks_for(int64_t n, int threads = kThreads) {
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>((n + threads - 1) / threads, kMaxBlocks)));
}

// Makes `device` current for the scope: kernels launch on the current device.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device) {
    check(cudaGetDevice(&prev_), "cudaGetDevice");
    if (prev_ != device) check(cudaSetDevice(device), "cudaSetDevice");
  }
  explicit DeviceGuard(const Array& a) : DeviceGuard(a.device().index) {}
  ~DeviceGuard() { cudaSetDevice(prev_); }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int prev_ = 0;
};

// The stream of the device an array lives on.
inline cudaStream_t stream_of(const Array& a) { return stream(a.device().index); }

#define DC_CUDA_LOOP(i, n)                                                                 \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

struct Indexer {
  int ndim = 0;
  bool contiguous = true;  // offset(i) == i: skip the divisions
  int64_t sizes[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};

  __host__ __device__ int64_t offset(int64_t i) const {
    if (contiguous) return i;
    int64_t off = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      int64_t s = sizes[d];
      off += (i % s) * strides[d];
      i /= s;
    }
    return off;
  }
};

// An indexer reading `a` as if it had `shape` (a must broadcast to it).
inline Indexer make_indexer(const Array& a, const Shape& shape) {
  int nd = static_cast<int>(shape.size());
  if (nd > kMaxDims)
    fail<NotImplementedError>("cuda: tensors with more than ", kMaxDims, " dims are not supported (got ", nd, ")");
  Indexer ix;
  ix.ndim = nd;
  int lead = nd - static_cast<int>(a.ndim());
  int64_t expect = 1;
  for (int d = nd - 1; d >= 0; --d) {
    int ad = d - lead;
    bool broadcast = ad < 0 || (a.shape()[ad] == 1 && shape[d] != 1);
    ix.sizes[d] = shape[d];
    ix.strides[d] = broadcast ? 0 : a.strides()[ad];
    if (shape[d] != 1 && ix.strides[d] != expect) ix.contiguous = false;
    expect *= shape[d];
  }
  return ix;
}
inline Indexer make_indexer(const Array& a) { return make_indexer(a, a.shape()); }

}  // namespace dc::cuda
