#include "core/array.h"
#include <limits>
#include "core/errors.h"

namespace dc {

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

Array Array::empty(const Shape& shape, DType dtype, Device device) {
  int64_t n = shape_numel(shape);
  return Array(Storage::allocate(n * static_cast<int64_t>(dc::itemsize(dtype)), device), dtype,
               shape, contiguous_strides(shape), 0);
}

int64_t Array::numel() const { return shape_numel(shape_); }

bool Array::is_contiguous() const {
  if (numel() == 0) return true;  // as PyTorch: nothing to lay out
  int64_t expected = 1;
  for (int64_t d = ndim() - 1; d >= 0; --d) {
    if (shape_[d] == 1) continue;
    if (strides_[d] != expected) return false;
    expected *= shape_[d];
  }
  return true;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t s = 1;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    strides[d] = s;
    s *= shape[d] > 0 ? shape[d] : 1;
  }
  return strides;
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

void check_shape(const char* op, const Shape& shape) {
  constexpr int64_t kMaxElements = int64_t(1) << 48;  // far beyond any real memory
  if (shape.size() > 64)
    fail<ShapeError>(op, ": too many dimensions (", shape.size(), "), at most 64 are supported");
  int64_t n = 1;
  for (int64_t s : shape) {
    if (s < 0) fail<ShapeError>(op, ": negative dimension ", s, " in shape ", shape_str(shape));
    if (s != 0 && n > kMaxElements / s)
      fail<RuntimeError>(op, ": shape ", shape_str(shape), " has too many elements to allocate");
    n *= s;
  }
}

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t x = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t y = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (x != y && x != 1 && y != 1)
      fail<ShapeError>(op, ": shapes ", shape_str(a), " and ", shape_str(b),
                       " cannot be broadcast together (", x, " vs ", y, " at dim ", i, ")");
    out[i] = x == 1 ? y : x;
  }
  return out;
}

int64_t wrap_dim(const char* op, int64_t dim, int64_t ndim) {
  int64_t n = ndim == 0 ? 1 : ndim;  // a 0-d array accepts dim 0 and -1, as PyTorch
  if (dim < -n || dim >= n)
    fail<IndexError>(op, ": dimension out of range (expected to be in range of [", -n, ", ",
                     n - 1, "], but got ", dim, ")");
  return dim < 0 ? dim + n : dim;
}

}  // namespace dc
