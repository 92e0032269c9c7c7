// Reference-counted memory shared by arrays and their views. CPU memory is
// 64-byte aligned (a cache line, and enough for any SIMD load). Memory owned
// by someone else (a numpy array, a DLPack producer) is kept alive through
// `owner` and never freed by us.
#pragma once
#include <cstdint>
#include <memory>
#include "core/device.h"

namespace dc {

class Storage {
 public:
  // Allocates nbytes of uninitialised memory on `device`.
  static std::shared_ptr<Storage> allocate(int64_t nbytes, Device device);
  // Wraps external memory; `owner` is released when the last view is gone.
  static std::shared_ptr<Storage> borrow(void* data, int64_t nbytes, Device device,
                                         std::shared_ptr<void> owner);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  int64_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  bool owns_memory() const { return owner_ == nullptr; }
  // Bumped by every in-place write (copy_, fill_, index_put_), so autograd can
  // detect that a tensor saved for backward was modified afterwards.
  int64_t version() const { return version_; }
  void bump_version() { ++version_; }
  // Storages are numbered in order of creation, so autograd can tell a
  // gradient made during a backward pass (serial >= the next_serial() read
  // at its start) from one that existed before.
  int64_t serial() const { return serial_; }
  static int64_t next_serial();

 private:
  Storage(void* data, int64_t nbytes, Device device, std::shared_ptr<void> owner)
      : data_(data), nbytes_(nbytes), device_(device), owner_(std::move(owner)),
        serial_(take_serial()) {}
  static int64_t take_serial();
  void* data_;
  int64_t nbytes_;
  Device device_;
  std::shared_ptr<void> owner_;
  int64_t version_ = 0;
  int64_t serial_;
};

// Freed CPU blocks of 4 MiB and more are kept (up to 512 MiB) for reuse by
// an allocation of the same size; these report and release that cache.
int64_t cpu_cached_bytes();
void cpu_empty_cache();

}  // namespace dc
