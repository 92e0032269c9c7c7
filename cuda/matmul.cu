// Batched matrix products and linear on the GPU, on top of cuda::gemm
// (gemm.cu holds the kernels, their FLOP/byte counts and design). This file
// maps arrays onto gemm calls as cpu/matmul.cpp does, with the same
// MatmulPlan (ops/linalg.h): transposed operands are strides, broadcast
// operands have batch stride 0 (never copied), a stack of matrices meeting one
// right operand is one tall product, and the batch dims that follow each
// other in memory become one gemm_batched launch.
#include "matmul.h"
#include <type_traits>
#include <vector>
#include "common.cuh"
#include "gemm.h"
#include "ops/linalg.h"

namespace dc::cuda {

namespace {

template <class T>
void batched(const Array& out, const Array& a, const Array& b) {
  const MatmulPlan p = plan_matmul(out, a, b);
  if (p.empty()) return;
  const int64_t nb = out.ndim() - 2, batch = p.batch, m = p.m, n = p.n, k = p.k;
  const int64_t rsa = p.rsa, csa = p.csa, rsb = p.rsb, csb = p.csb;
  DeviceGuard guard(out);
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* pc = out.data<T>();
  if (p.tall_row_stride >= 0) {
    gemm<T>(batch * m, n, k, T(1), pa, p.tall_row_stride, csa, pb, rsb, csb, T(0), pc, n, 1);
    return;
  }
  const Shape &so = out.shape(), &sa = a.strides(), &sb = b.strides();
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
  gemm<T>(rows, n, k, T(1), x.data<T>(), merged_row_stride(x), x.strides().back(),
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
