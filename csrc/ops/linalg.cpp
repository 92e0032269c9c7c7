// Checks and dispatch for the linear algebra ops (see linalg.h).
#include "ops/linalg.h"
#include <algorithm>
#include "cpu/matmul.h"
#include "ops/checks.h"
#include "ops/elementwise.h"

namespace dc {

namespace {

// The operand as a stack of matrices with `nb` broadcast batch dims `batch`:
// shape batch + (rows, cols), stride 0 on batch dims it lacks or has size 1
// (and on the dim added to a 1-D operand). `row` says a 1-D operand is a row
// (1, k) rather than a column (k, 1).
Array as_batched(const Array& x, const Shape& batch, bool row) {
  const int64_t nd = x.ndim(), nb = static_cast<int64_t>(batch.size());
  Shape shape(batch), strides(nb, 0);
  if (nd == 1) {
    const int64_t k = x.shape()[0], s = x.strides()[0];
    shape.push_back(row ? 1 : k);
    shape.push_back(row ? k : 1);
    strides.push_back(row ? 0 : s);
    strides.push_back(row ? s : 0);
  } else {
    for (int64_t d = 0; d < nd - 2; ++d) {
      const int64_t od = nb - (nd - 2) + d;
      strides[od] = x.shape()[d] == 1 ? 0 : x.strides()[d];
    }
    shape.insert(shape.end(), x.shape().end() - 2, x.shape().end());
    strides.insert(strides.end(), x.strides().end() - 2, x.strides().end());
  }
  return x.as_strided(shape, strides, x.offset());
}

}  // namespace

Array matmul(const Array& a, const Array& b) {
  const char* op = "matmul";
  check_same_device(op, a, b);
  require_cpu(op, a);
  if (a.ndim() == 0 || b.ndim() == 0)
    fail<ShapeError>("matmul: both arguments need to be at least 1D, but they are ", a.ndim(),
                     "D and ", b.ndim(), "D (shapes ", shape_str(a.shape()), " and ",
                     shape_str(b.shape()), ")");
  if (a.dtype() == DType::Bool || b.dtype() == DType::Bool)
    fail<TypeError>("matmul: not supported for bool tensors (got ", dtype_name(a.dtype()), " and ",
                    dtype_name(b.dtype()), ")");
  const DType dtype = promote_types(op, a.dtype(), b.dtype());

  const Shape &sa = a.shape(), &sb = b.shape();
  const int64_t k = sa.back();
  const int64_t kb = b.ndim() == 1 ? sb[0] : sb[sb.size() - 2];
  if (k != kb)
    fail<ShapeError>("matmul: shapes ", shape_str(sa), " and ", shape_str(sb),
                     " cannot be multiplied (", k, " != ", kb, ")");

  // Batch dims (all but the last two) broadcast as numpy's.
  const Shape ba(sa.begin(), sa.end() - std::min<int64_t>(a.ndim(), 2));
  const Shape bb(sb.begin(), sb.end() - std::min<int64_t>(b.ndim(), 2));
  const size_t nb = std::max(ba.size(), bb.size());
  Shape batch(nb);
  for (size_t i = 0; i < nb; ++i) {
    const int64_t x = i < nb - ba.size() ? 1 : ba[i - (nb - ba.size())];
    const int64_t y = i < nb - bb.size() ? 1 : bb[i - (nb - bb.size())];
    if (x != y && x != 1 && y != 1)
      fail<ShapeError>("matmul: batch dimensions of shapes ", shape_str(sa), " and ",
                       shape_str(sb), " cannot be broadcast together (", x, " vs ", y,
                       " at batch dim ", i, ")");
    batch[i] = x == 1 ? y : x;
  }
  const int64_t m = a.ndim() == 1 ? 1 : sa[sa.size() - 2];
  const int64_t n = b.ndim() == 1 ? 1 : sb.back();
  Shape full(batch);
  full.push_back(m);
  full.push_back(n);
  check_shape(op, full);

  Array out = Array::empty(full, dtype, a.device());
  cpu::matmul(out, as_batched(to_dtype(a, dtype), batch, true),
              as_batched(to_dtype(b, dtype), batch, false));
  // Drop the dims that 1-D operands gained; out is contiguous so this is a view.
  Shape shape(batch);
  if (a.ndim() > 1) shape.push_back(m);
  if (b.ndim() > 1) shape.push_back(n);
  return out.as_strided(shape, contiguous_strides(shape), 0);
}

}  // namespace dc
