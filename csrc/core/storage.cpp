#include "core/storage.h"
#include <cstdlib>
#include <new>
#include <sys/mman.h>
#include "core/cuda_runtime.h"

namespace dc {

std::shared_ptr<Storage> Storage::allocate(int64_t nbytes, Device device) {
  void* p = nullptr;
  if (device.is_cuda()) {
    p = cuda::device_malloc(nbytes, device.index);
  } else {
    // Large buffers go on 2 MiB boundaries and ask for transparent huge pages:
    // first-touch page faults otherwise dominate big copies (4x slower here).
    constexpr size_t kHuge = size_t(2) << 20;
    size_t align = static_cast<size_t>(nbytes) >= 2 * kHuge ? kHuge : 64;
    // aligned_alloc needs a size that is a multiple of the alignment; never 0.
    size_t n = (static_cast<size_t>(nbytes) + align - 1) & ~(align - 1);
    p = std::aligned_alloc(align, n == 0 ? align : n);
    if (!p) throw std::bad_alloc();
    if (align == kHuge) madvise(p, n, MADV_HUGEPAGE);
  }
  return std::shared_ptr<Storage>(new Storage(p, nbytes, device, nullptr));
}

std::shared_ptr<Storage> Storage::borrow(void* data, int64_t nbytes, Device device,
                                         std::shared_ptr<void> owner) {
  if (!owner) owner = std::shared_ptr<void>(nullptr, [](void*) {});
  return std::shared_ptr<Storage>(new Storage(data, nbytes, device, std::move(owner)));
}

Storage::~Storage() {
  if (owner_) return;  // borrowed: the owner frees it
  if (device_.is_cuda()) {
    cuda::device_free(data_, device_.index);
  } else {
    std::free(data_);
  }
}

}  // namespace dc
