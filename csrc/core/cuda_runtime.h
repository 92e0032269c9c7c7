// The few CUDA runtime services the core needs. Implemented by cuda/runtime.cu
// and cuda/allocator.cu in a CUDA build and by csrc/no_cuda/no_cuda.cpp
// otherwise, whose functions report that no GPU can be used (or 0 for the
// memory counters). Keeps the core free of #ifdefs.
#pragma once
#include <cstdint>
#include <string>

namespace dc::cuda {

bool built_with_cuda();
// Number of usable GPUs; 0 when there is no driver or no device.
int device_count();
// GPU memory comes from a caching allocator (cuda/allocator.cu): freed blocks
// are kept for reuse, so steady-state training does no cudaMalloc/cudaFree.
void* device_malloc(int64_t nbytes, int device);
void device_free(void* p, int device);
// The one stream of `device` (a cudaStream_t), created on first use. All
// kernels and copies for that device go on it, so they run in issue order and
// a block freed to the cache may be reused by the next op without a sync.
void* current_stream(int device);
// Copies nbytes between host and GPU memory; a device of -1 means host memory.
// Ordered on the stream of the GPU involved (the target's when both are):
// only a copy to the host waits, since the host reads the result right away.
void memcpy(void* dst, int dst_device, const void* src, int src_device, int64_t nbytes);
void synchronize();
// Raises unless `device` names a usable GPU; `op` starts the message.
void require_device(const char* op, int device);

// Allocator statistics, in bytes, as torch.cuda's. "Allocated" counts live
// blocks (rounded sizes), "reserved" everything obtained from cudaMalloc and
// not yet returned (live + cached).
int64_t memory_allocated(int device);
int64_t max_memory_allocated(int device);
int64_t memory_reserved(int device);
// Returns the cached (free) blocks of every device to the driver.
void empty_cache();
// Sets the peak of `device` to what is allocated now.
void reset_peak_memory_stats(int device);
// Number of cudaMalloc calls so far, over all devices (tests use it to check
// that the cache is hit).
int64_t malloc_count();

}  // namespace dc::cuda
