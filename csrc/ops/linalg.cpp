// Checks and dispatch for the linear algebra ops (see linalg.h).
#include "ops/linalg.h"
#include <algorithm>
#include <type_traits>
#include "cuda/gemm.h"
#include "cuda/matmul.h"
#include "cpu/gemm.h"
#include "cpu/matmul.h"
#include "ops/checks.h"
#include "ops/elementwise.h"

namespace dc {

namespace {

// Dims [0, nd) of (shape, strides) as one dim: the stride of its step, or -1
// if they do not follow each other in memory. Size-1 dims are ignored; an
// empty or single-element range gives 0.
int64_t merged_stride(const Shape& shape, const Shape& strides, int64_t nd) {
  int64_t step = -1, expected = 0;
  for (int64_t d = nd - 1; d >= 0; --d) {
    if (shape[d] == 0) return 0;
    if (shape[d] == 1) continue;
    if (step < 0) {
      step = strides[d];
    } else if (strides[d] != expected) {
      return -1;
    }
    expected = strides[d] * shape[d];
  }
  return step < 0 ? 0 : step;
}

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
  if (a.ndim() == 0 || b.ndim() == 0)
    fail<ShapeError>("matmul: both arguments need to be at least 1D, but they are ", a.ndim(),
                     "D and ", b.ndim(), "D (shapes ", shape_str(a.shape()), " and ",
                     shape_str(b.shape()), ")");
  if (a.dtype() == DType::Bool || b.dtype() == DType::Bool)
    fail<TypeError>("matmul: not supported for bool tensors (got ", dtype_name(a.dtype()), " and ",
                    dtype_name(b.dtype()), ")");
  // As PyTorch: no promotion in a product (int64 @ float32 raises).
  if (a.dtype() != b.dtype())
    fail<TypeError>(op, ": mixed dtypes ", dtype_name(a.dtype()), " and ", dtype_name(b.dtype()),
                    ": both operands must have the same dtype (convert one with .float(), "
                    ".double() or .long())");
  const DType dtype = a.dtype();

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
  DC_DISPATCH(out, matmul, out, as_batched(to_dtype(a, dtype), batch, true),
              as_batched(to_dtype(b, dtype), batch, false));
  // Drop the dims that 1-D operands gained; out is contiguous so this is a view.
  Shape shape(batch);
  if (a.ndim() > 1) shape.push_back(m);
  if (b.ndim() > 1) shape.push_back(n);
  return out.as_strided(shape, contiguous_strides(shape), 0);
}

Array linear(const Array& input, const Array& weight, const Array& bias) {
  const char* op = "linear";
  check_same_device(op, input, weight);
  if (bias.defined()) check_same_device(op, input, bias);
  if (input.ndim() == 0)
    fail<ShapeError>("linear: input must be at least 1-D, got a 0-d tensor");
  if (weight.ndim() != 2)
    fail<ShapeError>("linear: weight must be 2-D (out_features, in_features), got shape ",
                     shape_str(weight.shape()));
  require_floating(op, input);
  require_floating(op, weight);
  if (input.dtype() != weight.dtype())
    fail<TypeError>("linear: mixed dtypes: input is ", dtype_name(input.dtype()), ", weight is ",
                    dtype_name(weight.dtype()));
  const int64_t n = weight.shape()[0], k = weight.shape()[1];
  if (input.shape().back() != k)
    fail<ShapeError>("linear: input features ", input.shape().back(),
                     " do not match weight of shape ", shape_str(weight.shape()), " (input shape ",
                     shape_str(input.shape()), ")");
  if (bias.defined()) {
    if (bias.dtype() != input.dtype())
      fail<TypeError>("linear: mixed dtypes: input is ", dtype_name(input.dtype()), ", bias is ",
                      dtype_name(bias.dtype()));
    if (bias.ndim() != 1 || bias.shape()[0] != n)
      fail<ShapeError>("linear: bias of shape ", shape_str(bias.shape()),
                       " does not match weight of shape ", shape_str(weight.shape()),
                       " (expected (", n, ",))");
  }
  Shape shape(input.shape().begin(), input.shape().end() - 1);
  shape.push_back(n);
  check_shape(op, shape);
  Array out = Array::empty(shape, input.dtype(), input.device());
  // The kernel reads input as one (rows, k) matrix; copy the rare layouts
  // whose leading dims do not merge into one stride.
  const Array x = merged_row_stride(input) >= 0 ? input : contiguous(input);
  DC_DISPATCH(out, linear, out, x, weight, bias);
  return out;
}

void gemm_(const Array& c, const Array& a, const Array& b, double alpha, double beta) {
  const char* op = "gemm_";
  check_same_device(op, c, a);
  check_same_device(op, c, b);
  if (a.ndim() != 2 || b.ndim() != 2 || c.ndim() != 2)
    fail<ShapeError>("gemm_: expected 2-D tensors, got shapes ", shape_str(c.shape()), ", ",
                     shape_str(a.shape()), " and ", shape_str(b.shape()));
  require_not_bool(op, c);
  if (a.dtype() != c.dtype() || b.dtype() != c.dtype())
    fail<TypeError>("gemm_: expected one dtype, got ", dtype_name(c.dtype()), ", ",
                    dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
  const Shape &sa = a.shape(), &sb = b.shape(), &sc = c.shape();
  if (sa[1] != sb[0] || sc[0] != sa[0] || sc[1] != sb[1])
    fail<ShapeError>("gemm_: cannot compute c ", shape_str(sc), " from a ", shape_str(sa),
                     " @ b ", shape_str(sb));
  if (c.storage() == a.storage() || c.storage() == b.storage())
    fail<ValueError>("gemm_: c must not share memory with a or b");
  for (int d = 0; d < 2; ++d)
    if (sc[d] > 1 && c.strides()[d] == 0 && c.numel() > 0)
      fail<ValueError>("gemm_: c has overlapping elements (strides ", shape_str(c.strides()), ")");
  if (c.device().is_cuda()) {
    cuda::gemm_inplace(c, a, b, alpha, beta);
    c.storage()->bump_version();
    return;
  }
  visit_dtype(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      cpu::gemm<T>(sc[0], sc[1], sa[1], static_cast<T>(alpha), a.data<T>(), a.strides()[0],
                   a.strides()[1], b.data<T>(), b.strides()[0], b.strides()[1],
                   static_cast<T>(beta), c.data<T>(), c.strides()[0], c.strides()[1]);
    }
  });
  c.storage()->bump_version();
}

void set_gemm_kernel(const std::string& name) {
  cpu::GemmKernel choice;
  if (name == "auto") {
    choice = cpu::GemmKernel::Auto;
  } else if (name == "portable") {
    choice = cpu::GemmKernel::Portable;
  } else if (name == "avx2") {
    if (!cpu::cpu_supports_avx2_fma())
      fail<RuntimeError>("set_gemm_kernel: this CPU lacks AVX2 or FMA; use \"portable\" or \"auto\"");
    choice = cpu::GemmKernel::Avx2;
  } else if (name == "avx512") {
    if (!cpu::cpu_supports_avx512())
      fail<RuntimeError>("set_gemm_kernel: this CPU lacks AVX-512F/VL; use \"avx2\", \"portable\" or \"auto\"");
    choice = cpu::GemmKernel::Avx512;
  } else {
    fail<ValueError>("set_gemm_kernel: unknown kernel '", name,
                     "' (expected 'auto', 'portable', 'avx2' or 'avx512')");
  }
  cpu::set_gemm_kernel(choice);
}

std::string gemm_kernel() { return cpu::gemm_kernel_name(); }

void set_allow_tf32(bool allow) { cuda::set_allow_tf32(allow); }
bool allow_tf32() { return cuda::allow_tf32(); }

int64_t merged_row_stride(const Array& x) {
  return merged_stride(x.shape(), x.strides(), x.ndim() - 1);
}

MatmulPlan plan_matmul(const Array& out, const Array& a, const Array& b) {
  const int64_t nd = out.ndim(), nb = nd - 2;
  const Shape &so = out.shape(), &sa = a.strides(), &sb = b.strides();
  MatmulPlan p;
  p.batch = shape_numel(Shape(so.begin(), so.begin() + nb));
  p.m = so[nd - 2];
  p.n = so[nd - 1];
  p.k = a.shape()[nd - 1];
  p.rsa = sa[nd - 2];
  p.csa = sa[nd - 1];
  p.rsb = sb[nd - 2];
  p.csb = sb[nd - 1];
  p.tall_row_stride = -1;
  const bool one_b = std::all_of(sb.begin(), sb.begin() + nb, [](int64_t s) { return s == 0; });
  if (p.batch > 1 && one_b) p.tall_row_stride = merged_stride(a.shape(), sa, nd - 1);
  return p;
}

}  // namespace dc
