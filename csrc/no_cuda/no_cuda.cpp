// CUDA services for a build without CUDA: nothing is available, and any
// request for GPU memory raises a clear error instead of crashing.
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
void memcpy(void*, const void*, int64_t, int) { require_device("copy", 0); }
void synchronize() {}

}  // namespace dc::cuda
