// CUDA services for a build without CUDA: nothing is available, any request
// for GPU memory raises a clear error instead of crashing, and the memory
// counters read 0.
#include "core/cuda_runtime.h"
#include "core/errors.h"

namespace dc::cuda {

bool built_with_cuda() { return false; }
int device_count() { return 0; }
void require_device(const char* op, int) {
  fail(op, ": deepcore was built without CUDA, so device 'cuda' is not available");
}
void* device_malloc(int64_t, int device) {
  require_device("allocate", device);
  return nullptr;
}
void device_free(void*, int) {}
void* current_stream(int device) {
  require_device("current_stream", device);
  return nullptr;
}
void memcpy(void*, int, const void*, int, int64_t) { require_device("copy", 0); }
void synchronize() {}

int64_t memory_allocated(int) { return 0; }
int64_t max_memory_allocated(int) { return 0; }
int64_t memory_reserved(int) { return 0; }
void empty_cache() {}
void reset_peak_memory_stats(int) {}
int64_t malloc_count() { return 0; }

}  // namespace dc::cuda
