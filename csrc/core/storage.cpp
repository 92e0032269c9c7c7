#include "core/storage.h"
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>
#include <sys/mman.h>
#include "core/cuda_runtime.h"

namespace dc {

namespace {

constexpr size_t kHuge = size_t(2) << 20;

// Freed large CPU blocks, kept for reuse by an allocation of the same rounded
// size. Why: a fresh 64 MiB buffer costs its first-touch page faults on every
// op (softmax into a new output: 21 ms, into a reused one: 12 ms, 1 thread),
// and a training loop allocates the same sizes every step. Bounded, so a
// program that moves on to other sizes keeps at most kCacheLimit idle bytes.
class LargeBlockCache {
 public:
  static constexpr size_t kCacheLimit = size_t(512) << 20;

  void* take(size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t i = 0; i < blocks_.size(); ++i) {
      if (blocks_[i].bytes != bytes) continue;
      void* p = blocks_[i].ptr;
      blocks_[i] = blocks_.back();
      blocks_.pop_back();
      cached_ -= bytes;
      return p;
    }
    return nullptr;
  }

  // Keeps the block if it fits under the limit, evicting the oldest first.
  void give(void* p, size_t bytes) {
    std::vector<void*> evicted;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (bytes > kCacheLimit) {
        evicted.push_back(p);
      } else {
        while (cached_ + bytes > kCacheLimit) {
          evicted.push_back(blocks_.front().ptr);
          cached_ -= blocks_.front().bytes;
          blocks_.erase(blocks_.begin());
        }
        blocks_.push_back({p, bytes});
        cached_ += bytes;
      }
    }
    for (void* q : evicted) std::free(q);
  }

  size_t cached() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_;
  }

  void release() {
    std::vector<Block> all;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      all.swap(blocks_);
      cached_ = 0;
    }
    for (const Block& b : all) std::free(b.ptr);
  }

 private:
  struct Block {
    void* ptr;
    size_t bytes;
  };
  std::mutex mutex_;
  std::vector<Block> blocks_;
  size_t cached_ = 0;
};

// Leaked on purpose: storages may be destroyed during interpreter exit, after
// static destructors would have run.
LargeBlockCache& large_cache() {
  static LargeBlockCache* cache = new LargeBlockCache();
  return *cache;
}

// Large buffers go on 2 MiB boundaries (transparent huge pages); the rounded
// size is also the cache's key.
bool is_large(int64_t nbytes) { return static_cast<size_t>(nbytes) >= 2 * kHuge; }
size_t large_size(int64_t nbytes) { return (static_cast<size_t>(nbytes) + kHuge - 1) & ~(kHuge - 1); }

}  // namespace

int64_t cpu_cached_bytes() { return static_cast<int64_t>(large_cache().cached()); }
void cpu_empty_cache() { large_cache().release(); }

namespace {
std::atomic<int64_t> g_next_serial{0};
}  // namespace

int64_t Storage::take_serial() { return g_next_serial.fetch_add(1, std::memory_order_relaxed); }
int64_t Storage::next_serial() { return g_next_serial.load(std::memory_order_relaxed); }

std::shared_ptr<Storage> Storage::allocate(int64_t nbytes, Device device) {
  void* p = nullptr;
  if (device.is_cuda()) {
    p = cuda::device_malloc(nbytes, device.index);
  } else if (is_large(nbytes)) {
    // Huge pages: first-touch page faults otherwise dominate big copies (4x slower here).
    const size_t n = large_size(nbytes);
    p = large_cache().take(n);
    if (!p) {
      p = std::aligned_alloc(kHuge, n);
      if (!p) throw std::bad_alloc();
      madvise(p, n, MADV_HUGEPAGE);
    }
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
  } else if (is_large(nbytes_)) {
    large_cache().give(data_, large_size(nbytes_));
  } else {
    std::free(data_);
  }
}

}  // namespace dc
