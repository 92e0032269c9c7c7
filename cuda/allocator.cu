// GPU caching allocator.
//
// cudaMalloc/cudaFree cost tens of microseconds and cudaFree synchronises the
// device, so a training step that allocated its activations from the driver
// would stall every iteration. Instead freed blocks stay in per-device free
// lists and the next request of a similar size reuses one: after the first
// step the same sizes come round again and the driver is not called at all.
//
// Sizes are rounded up (512 B for small requests, 2 MiB for large ones) so
// that nearby sizes share blocks. A request takes the smallest cached block
// that fits, if it is less than twice the rounded size (bounding waste).
// Blocks are never split: simple, and the rounding keeps the waste small.
//
// Reusing a block without a sync is safe because each device has one stream
// (core/cuda_runtime.h): a kernel that used the freed block was enqueued
// before any kernel of the new owner.
//
// On out-of-memory the cache is returned to the driver and the cudaMalloc
// retried once before raising. One mutex guards everything; allocations are
// rare enough compared with kernels that it is not contended.
#include "allocator.h"

#include <cuda_runtime.h>
#include <map>
#include <mutex>
#include <unordered_map>
#include "check.cuh"
#include "core/errors.h"

namespace dc::cuda {

namespace {

constexpr size_t kSmall = 1 << 20;          // requests up to 1 MiB are "small"
constexpr size_t kSmallRound = 512;
constexpr size_t kLargeRound = size_t(2) << 20;

size_t round_size(size_t n) {
  size_t r = n <= kSmall ? kSmallRound : kLargeRound;
  return n == 0 ? kSmallRound : (n + r - 1) / r * r;
}

struct DeviceStats {
  std::multimap<size_t, void*> free_blocks;  // size -> block, for best fit
  int64_t allocated = 0, peak = 0, reserved = 0;
};

struct Block {
  size_t size;
  int device;
};

struct Allocator {
  std::mutex mu;
  std::unordered_map<int, DeviceStats> devices;
  std::unordered_map<void*, Block> live;
  int64_t malloc_calls = 0;

  // Frees the cached blocks of one device (mu held). cudaFree synchronises,
  // so no kernel can still be using them.
  void free_cached(int device, DeviceStats& d) {
    int prev = -1;
    cudaGetDevice(&prev);
    cudaSetDevice(device);
    for (auto& [size, p] : d.free_blocks) {
      cudaFree(p);
      d.reserved -= static_cast<int64_t>(size);
    }
    d.free_blocks.clear();
    if (prev >= 0) cudaSetDevice(prev);
  }

  void* allocate(size_t nbytes, int device) {
    size_t size = round_size(nbytes);
    std::lock_guard<std::mutex> lock(mu);
    DeviceStats& d = devices[device];
    void* p = nullptr;
    auto it = d.free_blocks.lower_bound(size);
    if (it != d.free_blocks.end() && it->first < 2 * size) {
      size = it->first;
      p = it->second;
      d.free_blocks.erase(it);
    } else {
      cudaError_t err = cudaMalloc(&p, size);
      ++malloc_calls;
      if (err == cudaErrorMemoryAllocation) {
        cudaGetLastError();  // clear it, then retry with the cache returned
        free_cached(device, d);
        err = cudaMalloc(&p, size);
        ++malloc_calls;
      }
      if (err != cudaSuccess) {
        cudaGetLastError();
        // err is usually "out of memory"; name it anyway, it may be a broken context.
        fail("allocate: could not allocate ", nbytes, " bytes on cuda:", device, " (",
             d.allocated, " bytes allocated, ", d.reserved, " bytes reserved by deepcore): ",
             "CUDA error: ", cudaGetErrorString(err));
      }
      d.reserved += static_cast<int64_t>(size);
    }
    d.allocated += static_cast<int64_t>(size);
    if (d.allocated > d.peak) d.peak = d.allocated;
    live.emplace(p, Block{size, device});
    return p;
  }

  void release(void* p) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = live.find(p);
    if (it == live.end()) return;  // not ours (cannot happen); never throw here
    DeviceStats& d = devices[it->second.device];
    d.allocated -= static_cast<int64_t>(it->second.size);
    d.free_blocks.emplace(it->second.size, p);
    live.erase(it);
  }

  // Reads one counter of a device under the lock; 0 for a device never used.
  template <class F>
  int64_t read(int device, F field) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = devices.find(device);
    return it == devices.end() ? 0 : field(it->second);
  }
};

// Leaked on purpose: tensors may be freed during interpreter shutdown, after
// static destructors have run, and must still find a valid allocator.
Allocator& the_allocator() {
  static Allocator* a = new Allocator;
  return *a;
}

}  // namespace

namespace allocator {
void* allocate(size_t nbytes, int device) { return the_allocator().allocate(nbytes, device); }
void release(void* p) { the_allocator().release(p); }
}  // namespace allocator

int64_t memory_allocated(int device) {
  return the_allocator().read(device, [](DeviceStats& d) { return d.allocated; });
}
int64_t max_memory_allocated(int device) {
  return the_allocator().read(device, [](DeviceStats& d) { return d.peak; });
}
int64_t memory_reserved(int device) {
  return the_allocator().read(device, [](DeviceStats& d) { return d.reserved; });
}

void empty_cache() {
  Allocator& a = the_allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  for (auto& [device, d] : a.devices) a.free_cached(device, d);
}

void reset_peak_memory_stats(int device) {
  Allocator& a = the_allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  auto it = a.devices.find(device);
  if (it != a.devices.end()) it->second.peak = it->second.allocated;
}

int64_t malloc_count() {
  Allocator& a = the_allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  return a.malloc_calls;
}

}  // namespace dc::cuda
