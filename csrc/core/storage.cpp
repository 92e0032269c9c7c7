#include "core/storage.h"
#include <cstdlib>
#include <new>
#include "core/cuda_runtime.h"

namespace dc {

std::shared_ptr<Storage> Storage::allocate(int64_t nbytes, Device device) {
  void* p = nullptr;
  if (device.is_cuda()) {
    p = cuda::device_malloc(nbytes, device.index);
  } else {
    // aligned_alloc needs a size that is a multiple of the alignment; never 0.
    size_t n = (static_cast<size_t>(nbytes) + 63) & ~size_t(63);
    p = std::aligned_alloc(64, n == 0 ? 64 : n);
    if (!p) throw std::bad_alloc();
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
