// The GPU caching allocator behind dc::cuda::device_malloc/device_free
// (the statistics are declared in core/cuda_runtime.h).
#pragma once
#include <cstddef>

namespace dc::cuda::allocator {

// Returns a block of at least nbytes on `device` (the caller has set it current).
void* allocate(size_t nbytes, int device);
// Gives the block back to the cache; never calls the driver, never throws.
void release(void* p);

}  // namespace dc::cuda::allocator
