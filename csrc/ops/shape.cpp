#include "ops/shape.h"
#include <algorithm>
#include "ops/elementwise.h"

namespace dc {

namespace {

// Resolves one -1 and checks that the element count is unchanged.
Shape infer_shape(const char* op, const Array& a, const Shape& shape) {
  Shape out = shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      if (infer >= 0) fail<ShapeError>(op, ": only one dimension can be inferred (-1) in ", shape_str(shape));
      infer = static_cast<int64_t>(i);
    } else if (out[i] < 0) {
      fail<ShapeError>(op, ": invalid size ", out[i], " in shape ", shape_str(shape));
    } else {
      known *= out[i];
    }
  }
  int64_t n = a.numel();
  if (infer >= 0) {
    if (known == 0 || n % known != 0)
      fail<ShapeError>(op, ": shape ", shape_str(shape), " is invalid for input of size ", n);
    out[infer] = n / known;
  } else if (known != n) {
    fail<ShapeError>(op, ": shape ", shape_str(shape), " is invalid for input of size ", n);
  }
  return out;
}

// Strides that let `a`'s data be seen with `shape`, if any exist (the
// algorithm of PyTorch's computeStride: match runs of contiguous dims).
std::optional<Shape> view_strides(const Array& a, const Shape& shape) {
  if (a.is_contiguous() || a.numel() == 0) return contiguous_strides(shape);
  const Shape& os = a.shape();
  const Shape& ot = a.strides();
  Shape ns(shape.size());
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_stride = ot.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = a.ndim() - 1; d >= 0; --d) {
    tensor_numel *= os[d];
    if (d == 0 || (os[d - 1] != 1 && ot[d - 1] != tensor_numel * chunk_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        ns[view_d] = view_numel * chunk_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_stride = ot[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return ns;
}

}  // namespace

Array reshape(const Array& a, const Shape& shape) {
  Shape s = infer_shape("reshape", a, shape);
  if (auto st = view_strides(a, s)) return a.as_strided(s, *st, a.offset());
  Array c = contiguous(a);
  return c.as_strided(s, contiguous_strides(s), c.offset());
}

Array view(const Array& a, const Shape& shape) {
  Shape s = infer_shape("view", a, shape);
  auto st = view_strides(a, s);
  if (!st)
    fail<ShapeError>("view: shape ", shape_str(s), " is not compatible with the input's size ",
                     shape_str(a.shape()), " and strides ", shape_str(a.strides()),
                     " (at least one dimension spans two contiguous subspaces); use reshape");
  return a.as_strided(s, *st, a.offset());
}

Array flatten(const Array& a, int64_t start_dim, int64_t end_dim) {
  if (a.ndim() == 0) return reshape(a, {1});
  int64_t s = wrap_dim("flatten", start_dim, a.ndim());
  int64_t e = wrap_dim("flatten", end_dim, a.ndim());
  if (s > e)
    fail<ValueError>("flatten: start_dim (", start_dim, ") cannot come after end_dim (", end_dim, ")");
  Shape shape(a.shape().begin(), a.shape().begin() + s);
  int64_t n = 1;
  for (int64_t d = s; d <= e; ++d) n *= a.shape()[d];
  shape.push_back(n);
  shape.insert(shape.end(), a.shape().begin() + e + 1, a.shape().end());
  return reshape(a, shape);
}

Array transpose(const Array& a, int64_t dim0, int64_t dim1) {
  if (a.ndim() == 0) {
    wrap_dim("transpose", dim0, 0);
    wrap_dim("transpose", dim1, 0);
    return a;
  }
  int64_t d0 = wrap_dim("transpose", dim0, a.ndim()), d1 = wrap_dim("transpose", dim1, a.ndim());
  Shape shape = a.shape(), strides = a.strides();
  std::swap(shape[d0], shape[d1]);
  std::swap(strides[d0], strides[d1]);
  return a.as_strided(shape, strides, a.offset());
}

Array permute(const Array& a, const std::vector<int64_t>& dims) {
  if (static_cast<int64_t>(dims.size()) != a.ndim())
    fail<ShapeError>("permute: number of dims ", dims.size(), " does not match the tensor's ",
                     a.ndim(), " dimensions (shape ", shape_str(a.shape()), ")");
  Shape shape(dims.size()), strides(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrap_dim("permute", dims[i], a.ndim());
    if (seen[d]) fail<ValueError>("permute: dim ", dims[i], " appears more than once in ", shape_str(dims));
    seen[d] = true;
    shape[i] = a.shape()[d];
    strides[i] = a.strides()[d];
  }
  return a.as_strided(shape, strides, a.offset());
}

Array expand(const Array& a, const Shape& shape) {
  int64_t n = static_cast<int64_t>(shape.size()), lead = n - a.ndim();
  if (lead < 0)
    fail<ShapeError>("expand: the number of sizes (", n, ") must be at least the tensor's ",
                     a.ndim(), " dimensions");
  Shape out(n), strides(n);
  for (int64_t i = 0; i < n; ++i) {
    if (i < lead) {
      if (shape[i] < 0) fail<ShapeError>("expand: size -1 is not allowed in a new leading dimension");
      out[i] = shape[i];
      strides[i] = 0;
      continue;
    }
    int64_t have = a.shape()[i - lead];
    int64_t want = shape[i] == -1 ? have : shape[i];
    if (want < 0) fail<ShapeError>("expand: invalid size ", shape[i], " in ", shape_str(shape));
    if (have != want && have != 1)
      fail<ShapeError>("expand: the expanded size (", want, ") must match the existing size (",
                       have, ") at non-singleton dimension ", i, "; target ", shape_str(shape),
                       ", tensor ", shape_str(a.shape()));
    out[i] = want;
    strides[i] = have == want ? a.strides()[i - lead] : 0;
  }
  check_shape("expand", out);
  return a.as_strided(out, strides, a.offset());
}

Array squeeze(const Array& a, const std::optional<std::vector<int64_t>>& dims) {
  std::vector<bool> drop(a.ndim(), false);
  if (!dims) {
    for (int64_t d = 0; d < a.ndim(); ++d) drop[d] = a.shape()[d] == 1;
  } else {
    for (int64_t d : *dims) {
      if (a.ndim() == 0) { wrap_dim("squeeze", d, 0); continue; }
      int64_t w = wrap_dim("squeeze", d, a.ndim());
      drop[w] = a.shape()[w] == 1;
    }
  }
  Shape shape, strides;
  for (int64_t d = 0; d < a.ndim(); ++d) {
    if (drop[d]) continue;
    shape.push_back(a.shape()[d]);
    strides.push_back(a.strides()[d]);
  }
  return a.as_strided(shape, strides, a.offset());
}

Array unsqueeze(const Array& a, int64_t dim) {
  int64_t d = wrap_dim("unsqueeze", dim, a.ndim() + 1);
  Shape shape = a.shape(), strides = a.strides();
  int64_t stride = d < a.ndim() ? a.shape()[d] * a.strides()[d] : 1;
  shape.insert(shape.begin() + d, 1);
  strides.insert(strides.begin() + d, stride);
  return a.as_strided(shape, strides, a.offset());
}

Array slice(const Array& a, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> stop,
            int64_t step) {
  if (a.ndim() == 0) fail<IndexError>("slice: cannot slice a 0-d tensor");
  int64_t d = wrap_dim("slice", dim, a.ndim());
  if (step <= 0) fail<ValueError>("slice: step must be greater than zero, got ", step);
  int64_t n = a.shape()[d];
  auto clampi = [n](int64_t v) { return v < 0 ? std::max<int64_t>(v + n, 0) : std::min(v, n); };
  int64_t b = start ? clampi(*start) : 0;
  int64_t e = stop ? clampi(*stop) : n;
  int64_t len = e > b ? (e - b + step - 1) / step : 0;
  Shape shape = a.shape(), strides = a.strides();
  shape[d] = len;
  strides[d] *= step;
  return a.as_strided(shape, strides, a.offset() + (len > 0 ? b * a.strides()[d] : 0));
}

Array select(const Array& a, int64_t dim, int64_t index) {
  if (a.ndim() == 0) fail<IndexError>("select: invalid index of a 0-d tensor");
  int64_t d = wrap_dim("select", dim, a.ndim());
  int64_t n = a.shape()[d];
  if (index < -n || index >= n)
    fail<IndexError>("select: index ", index, " is out of bounds for dimension ", d, " with size ", n);
  if (index < 0) index += n;
  Shape shape = a.shape(), strides = a.strides();
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  return a.as_strided(shape, strides, a.offset() + index * a.strides()[d]);
}

Array cat(const std::vector<Array>& arrays, int64_t dim) {
  if (arrays.empty()) fail<ValueError>("cat: expected a non-empty list of tensors");
  const Array& first = arrays[0];
  if (first.ndim() == 0) fail<ShapeError>("cat: zero-dimensional tensor (at position 0) cannot be concatenated");
  int64_t d = wrap_dim("cat", dim, first.ndim());
  DType dtype = first.dtype();
  Shape shape = first.shape();
  shape[d] = 0;
  for (size_t i = 0; i < arrays.size(); ++i) {
    const Array& x = arrays[i];
    check_same_device("cat", first, x);
    dtype = promote_types("cat", dtype, x.dtype());
    if (x.ndim() != first.ndim())
      fail<ShapeError>("cat: tensors must have the same number of dimensions: got ", first.ndim(),
                       " (position 0) and ", x.ndim(), " (position ", i, ")");
    for (int64_t k = 0; k < x.ndim(); ++k)
      if (k != d && x.shape()[k] != first.shape()[k])
        fail<ShapeError>("cat: sizes of tensors must match except in dimension ", d, ": got ",
                         shape_str(first.shape()), " (position 0) and ", shape_str(x.shape()),
                         " (position ", i, ")");
    shape[d] += x.shape()[d];
  }
  Array out = Array::empty(shape, dtype, first.device());
  int64_t at = 0;
  for (const Array& x : arrays) {
    int64_t len = x.shape()[d];
    if (len > 0) copy_(slice(out, d, at, at + len, 1), x);
    at += len;
  }
  return out;
}

Array stack(const std::vector<Array>& arrays, int64_t dim) {
  if (arrays.empty()) fail<ValueError>("stack: expected a non-empty list of tensors");
  int64_t d = wrap_dim("stack", dim, arrays[0].ndim() + 1);
  std::vector<Array> parts;
  parts.reserve(arrays.size());
  for (size_t i = 0; i < arrays.size(); ++i) {
    if (arrays[i].shape() != arrays[0].shape())
      fail<ShapeError>("stack: expects each tensor to be equal size, but got ",
                       shape_str(arrays[0].shape()), " at entry 0 and ",
                       shape_str(arrays[i].shape()), " at entry ", i);
    parts.push_back(unsqueeze(arrays[i], d));
  }
  return cat(parts, d);
}

}  // namespace dc
