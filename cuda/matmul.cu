// Batched matrix products and linear on the GPU, on top of cuda::gemm
// (gemm.cu holds the kernels, their FLOP/byte counts and design). This file
// maps arrays onto gemm calls as cpu/matmul.cpp does: transposed operands are
// strides, broadcast operands have batch stride 0 (never copied), a stack of
// matrices meeting one right operand is one tall product, and the batch dims
// that follow each other in memory become one gemm_batched launch.
#include "matmul.h"
#include <algorithm>
#include <type_traits>
#include <vector>
#include "common.cuh"
#include "cpu/matmul.h"
#include "gemm.h"

namespace dc::cuda {

namespace {

// Dims [0, nd) of (shape, strides) as one dim: the stride of its step, or -1
// if they do not follow each other in memory (as cpu/matmul.cpp's).
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

template <class T>
void batched(const Array& out, const Array& a, const Array& b) {
  const int64_t nd = out.ndim(), nb = nd - 2;
  const Shape& so = out.shape();
  const int64_t m = so[nd - 2], n = so[nd - 1], k = a.shape()[nd - 1];
  const int64_t batch = shape_numel(Shape(so.begin(), so.begin() + nb));
  if (batch == 0 || m == 0 || n == 0) return;
  DeviceGuard guard(out);
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* pc = out.data<T>();
  const Shape &sa = a.strides(), &sb = b.strides();
  const int64_t rsa = sa[nd - 2], csa = sa[nd - 1], rsb = sb[nd - 2], csb = sb[nd - 1];
  // Every product shares one B: if A's batch and row dims merge, it is one
  // product of batch * m rows (out is contiguous).
  if (batch > 1 && std::all_of(sb.begin(), sb.begin() + nb, [](int64_t s) { return s == 0; })) {
    const int64_t rs = merged_stride(a.shape(), sa, nd - 1);
    if (rs >= 0) {
      gemm<T>(batch * m, n, k, T(1), pa, rs, csa, pb, rsb, csb, T(0), pc, n, 1);
      return;
    }
  }
  // Batch dims (size-1 dims dropped) merged where both operands step through
  // them as one dim; out, contiguous, always does.
  std::vector<int64_t> size, stra, strb;
  for (int64_t d = 0; d < nb; ++d) {
    if (so[d] == 1) continue;
    if (!size.empty() && stra.back() == sa[d] * so[d] && strb.back() == sb[d] * so[d]) {
      size.back() *= so[d];
      stra.back() = sa[d];
      strb.back() = sb[d];
    } else {
      size.push_back(so[d]);
      stra.push_back(sa[d]);
      strb.push_back(sb[d]);
    }
  }
  if (size.empty()) {  // one product
    gemm<T>(m, n, k, T(1), pa, rsa, csa, pb, rsb, csb, T(0), pc, n, 1);
    return;
  }
  // The innermost merged dim is one batched launch; the outer ones (only
  // when the operands broadcast along different dims) are looped over here.
  const int64_t inner = size.back(), outer = batch / inner, nd_outer = size.size() - 1;
  for (int64_t o = 0; o < outer; ++o) {
    int64_t oa = 0, ob = 0, rest = o;
    for (int64_t d = nd_outer - 1; d >= 0; --d) {
      const int64_t idx = rest % size[d];
      rest /= size[d];
      oa += idx * stra[d];
      ob += idx * strb[d];
    }
    gemm_batched<T>(inner, m, n, k, T(1), pa + oa, stra.back(), rsa, csa, pb + ob, strb.back(),
                    rsb, csb, T(0), pc + o * inner * m * n, m * n, n, 1);
  }
}

// out[r, j] = bias[j] for every row r: the initial C of linear's product.
template <class T>
__global__ void fill_rows(T* out, const T* bias, int64_t sbias, int64_t n, int64_t total) {
  DC_CUDA_LOOP(i, total) { out[i] = bias[i % n * sbias]; }
}

template <class T>
void linear_impl(const Array& out, const Array& x, const Array& w, const Array& bias) {
  const int64_t n = w.shape()[0], k = w.shape()[1];
  const int64_t rows = shape_numel(Shape(x.shape().begin(), x.shape().end() - 1));
  if (rows == 0 || n == 0) return;
  DeviceGuard guard(out);
  T* pc = out.data<T>();
  if (bias.defined()) {
    const int64_t total = rows * n;
    fill_rows<T><<<blocks_for(total), kThreads, 0, stream_of(out)>>>(
        pc, bias.data<T>(), bias.strides()[0], n, total);
    check_launch("linear");
  }
  gemm<T>(rows, n, k, T(1), x.data<T>(), cpu::merged_row_stride(x), x.strides().back(),
          w.data<T>(), w.strides()[1], w.strides()[0], bias.defined() ? T(1) : T(0), pc, n, 1);
}

}  // namespace

void matmul(const Array& out, const Array& a, const Array& b) {
  switch (out.dtype()) {
    case DType::Float32: return batched<float>(out, a, b);
    case DType::Float64: return batched<double>(out, a, b);
    case DType::Int64: return batched<int64_t>(out, a, b);
    case DType::Bool: break;  // rejected by ops/linalg.cpp
  }
}

void linear(const Array& out, const Array& x, const Array& w, const Array& bias) {
  visit_floating(out.dtype(), [&](auto tag) { linear_impl<decltype(tag)>(out, x, w, bias); });
}

void gemm_inplace(const Array& c, const Array& a, const Array& b, double alpha, double beta) {
  DeviceGuard guard(c);
  visit_dtype(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      gemm<T>(c.shape()[0], c.shape()[1], a.shape()[1], static_cast<T>(alpha), a.data<T>(),
              a.strides()[0], a.strides()[1], b.data<T>(), b.strides()[0], b.strides()[1],
              static_cast<T>(beta), c.data<T>(), c.strides()[0], c.strides()[1]);
    }
  });
}

}  // namespace dc::cuda
