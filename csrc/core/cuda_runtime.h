// The few CUDA runtime services the core needs. Implemented by cuda/runtime.cu
// in a CUDA build and by csrc/no_cuda/no_cuda.cpp otherwise, whose functions
// report that no GPU can be used. Keeps the core free of #ifdefs.
#pragma once
#include <cstdint>
#include <string>

namespace dc::cuda {

bool built_with_cuda();
// Number of usable GPUs; 0 when there is no driver or no device.
int device_count();
void* device_malloc(int64_t nbytes, int device);
void device_free(void* p, int device);
// Copies between host and device memory (kind: 0 H2D, 1 D2H, 2 D2D).
void memcpy(void* dst, const void* src, int64_t nbytes, int kind);
void synchronize();
// Raises unless `device` names a usable GPU; `op` starts the message.
void require_device(const char* op, int device);

}  // namespace dc::cuda
