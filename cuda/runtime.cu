// CUDA runtime services for the core (device query, memory, streams, copies).
// Errors become dc::RuntimeError naming the call; a machine without a
// driver or GPU simply reports 0 devices.
#include <cuda_runtime.h>
#include <mutex>
#include <vector>
#include "allocator.h"
#include "check.cuh"
#include "core/errors.h"

namespace dc::cuda {

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) fail(what, ": CUDA error: ", cudaGetErrorString(err));
}

void check_launch(const char* op) { check(cudaGetLastError(), op); }

bool built_with_cuda() { return true; }

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    return 0;
  }
  return n;
}

void require_device(const char* op, int device) {
  int n = device_count();
  if (n == 0) fail(op, ": no CUDA device is available");
  if (device < 0 || device >= n) fail(op, ": CUDA device ", device, " does not exist (", n, " available)");
}

void* device_malloc(int64_t nbytes, int device) {
  require_device("allocate", device);
  check(cudaSetDevice(device), "cudaSetDevice");
  return allocator::allocate(static_cast<size_t>(nbytes), device);
}

void device_free(void* p, int device) {
  allocator::release(p);  // into the cache: no driver call, never throws
}

void* current_stream(int device) {
  // Created lazily so that importing deepcore never initialises CUDA.
  // Non-blocking: our work must not serialise with the legacy default stream
  // that other libraries sharing the process may use.
  static std::mutex mu;
  static std::vector<cudaStream_t> streams;
  std::lock_guard<std::mutex> lock(mu);
  if (device >= static_cast<int>(streams.size())) {
    require_device("current_stream", device);
    streams.resize(device + 1, nullptr);
  }
  if (!streams[device]) {
    int prev = 0;
    check(cudaGetDevice(&prev), "cudaGetDevice");
    check(cudaSetDevice(device), "cudaSetDevice");
    check(cudaStreamCreateWithFlags(&streams[device], cudaStreamNonBlocking), "cudaStreamCreate");
    cudaSetDevice(prev);
  }
  return streams[device];
}

void memcpy(void* dst, int dst_device, const void* src, int src_device, int64_t nbytes) {
  size_t n = static_cast<size_t>(nbytes);
  if (dst_device < 0) {  // D2H: the host reads the result next, so wait for it
    cudaStream_t s = stream(src_device);
    check(cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToHost, s), "cudaMemcpyAsync");
    check(cudaStreamSynchronize(s), "cudaStreamSynchronize");
  } else if (src_device < 0 || src_device == dst_device) {
    // H2D from pageable memory returns once the source is staged, so the host
    // buffer may be freed right after; no sync needed.
    check(cudaMemcpyAsync(dst, src, n, src_device < 0 ? cudaMemcpyHostToDevice
                                                      : cudaMemcpyDeviceToDevice,
                          stream(dst_device)), "cudaMemcpyAsync");
  } else {
    // Across GPUs the source is written on another stream: let it finish first.
    check(cudaStreamSynchronize(stream(src_device)), "cudaStreamSynchronize");
    check(cudaMemcpyPeerAsync(dst, dst_device, src, src_device, n, stream(dst_device)),
          "cudaMemcpyPeerAsync");
  }
}

void synchronize() {
  if (device_count() > 0) check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
}

}  // namespace dc::cuda
