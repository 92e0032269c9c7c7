// CUDA runtime services for the core (device query, memory, copies).
// Errors become dc::RuntimeError naming the call; a machine without a
// driver or GPU simply reports 0 devices.
#include <cuda_runtime.h>
#include "core/cuda_runtime.h"
#include "core/errors.h"

namespace dc::cuda {

namespace {
void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) fail(what, ": CUDA error: ", cudaGetErrorString(err));
}
}  // namespace

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
  void* p = nullptr;
  check(cudaMalloc(&p, nbytes == 0 ? 1 : static_cast<size_t>(nbytes)), "cudaMalloc");
  return p;
}

void device_free(void* p, int device) {
  cudaSetDevice(device);
  cudaFree(p);  // never throw from a destructor path
}

void memcpy(void* dst, const void* src, int64_t nbytes, int kind) {
  cudaMemcpyKind k = kind == 0 ? cudaMemcpyHostToDevice
                   : kind == 1 ? cudaMemcpyDeviceToHost : cudaMemcpyDeviceToDevice;
  check(cudaMemcpy(dst, src, static_cast<size_t>(nbytes), k), "cudaMemcpy");
}

void synchronize() {
  if (device_count() > 0) check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
}

}  // namespace dc::cuda
