// The native n-dimensional array: a view (dtype, shape, strides, offset)
// into a reference-counted Storage. Views share storage and cost no copy.
// Arrays know nothing of autograd; that lives in the Python layer.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>
#include "core/device.h"
#include "core/dtype.h"
#include "core/storage.h"

namespace dc {

using Shape = std::vector<int64_t>;  // sizes, or strides counted in elements

class Array {
 public:
  Array() = default;
  Array(std::shared_ptr<Storage> storage, DType dtype, Shape shape, Shape strides,
        int64_t offset)
      : storage_(std::move(storage)), dtype_(dtype), shape_(std::move(shape)),
        strides_(std::move(strides)), offset_(offset) {}

  // Uninitialised, contiguous. The shape must already be validated.
  static Array empty(const Shape& shape, DType dtype, Device device = Device{});

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  int64_t ndim() const { return static_cast<int64_t>(shape_.size()); }
  int64_t numel() const;
  int64_t itemsize() const { return static_cast<int64_t>(dc::itemsize(dtype_)); }
  Device device() const { return storage_->device(); }
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  bool defined() const { return storage_ != nullptr; }

  // Row-major with no gaps (size-1 dims may have any stride).
  bool is_contiguous() const;

  void* data_ptr() const {
    return static_cast<char*>(storage_->data()) + offset_ * itemsize();
  }
  template <class T> T* data() const { return static_cast<T*>(data_ptr()); }

  // A view of the same storage with other geometry (no checks: callers in
  // csrc/ops have validated it).
  Array as_strided(Shape shape, Shape strides, int64_t offset) const {
    return Array(storage_, dtype_, std::move(shape), std::move(strides), offset);
  }

 private:
  std::shared_ptr<Storage> storage_;
  DType dtype_ = DType::Float32;
  Shape shape_;
  Shape strides_;
  int64_t offset_ = 0;
};

// Strides of a contiguous array of this shape.
Shape contiguous_strides(const Shape& shape);
// Product of sizes; the shape must be valid.
int64_t shape_numel(const Shape& shape);
// Raises ShapeError unless every size is >= 0 and the element count fits in
// memory addressing; `op` names the caller in the message.
void check_shape(const char* op, const Shape& shape);
// numpy broadcasting of two shapes; raises ShapeError naming `op` if they
// are incompatible.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);
// Wraps a possibly negative dim into [0, ndim); raises IndexError otherwise.
int64_t wrap_dim(const char* op, int64_t dim, int64_t ndim);

}  // namespace dc
