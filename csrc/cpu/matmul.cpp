// Batched matrix products and linear, on top of cpu::gemm (gemm.cpp holds
// the kernel, its FLOP/byte counts and measurements). This file only maps
// arrays onto gemm calls (with ops/linalg.h's MatmulPlan, shared with
// cuda/matmul.cu): batch offsets through (possibly zero) strides, and a
// stack of matrices that all meet the same right operand as one tall product.
#include "cpu/matmul.h"
#include <algorithm>
#include "core/threads.h"
#include "cpu/gemm.h"
#include "ops/linalg.h"

namespace dc::cpu {

namespace {

template <class T>
void batched(const Array& out, const Array& a, const Array& b) {
  const MatmulPlan p = plan_matmul(out, a, b);
  if (p.empty()) return;
  const int64_t nb = out.ndim() - 2, batch = p.batch, m = p.m, n = p.n, k = p.k;
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* pc = out.data<T>();
  if (p.tall_row_stride >= 0) {
    gemm<T>(batch * m, n, k, T(1), pa, p.tall_row_stride, p.csa, pb, p.rsb, p.csb, T(0), pc, n, 1);
    return;
  }
  const Shape &sa = a.strides(), &sb = b.strides();
  // Product number `bi`: its batch index unravelled over out's batch dims,
  // each operand's element offset taken through its (possibly 0) strides.
  auto one = [&](int64_t bi) {
    int64_t oa = 0, ob = 0, rest = bi;
    for (int64_t d = nb - 1; d >= 0; --d) {
      const int64_t idx = rest % out.shape()[d];
      rest /= out.shape()[d];
      oa += idx * sa[d];
      ob += idx * sb[d];
    }
    gemm<T>(m, n, k, T(1), pa + oa, p.rsa, p.csa, pb + ob, p.rsb, p.csb, T(0), pc + bi * m * n, n,
            1);
  };
  // A product big enough to use every thread runs them itself, one product
  // after another; smaller products are spread over the threads whole.
  const int64_t flops = 2 * m * n * std::max<int64_t>(k, 1);
  const int64_t threshold = gemm_parallel_threshold();
  if (batch == 1 || flops >= threshold * get_num_threads()) {
    for (int64_t bi = 0; bi < batch; ++bi) one(bi);
  } else {
    parallel_for(0, batch, std::max<int64_t>(1, threshold / flops), [&](int64_t b0, int64_t b1) {
      for (int64_t bi = b0; bi < b1; ++bi) one(bi);
    });
  }
}

template <class T>
void linear_impl(const Array& out, const Array& x, const Array& w, const Array& bias) {
  const int64_t n = w.shape()[0], k = w.shape()[1];
  const int64_t rows = shape_numel(Shape(x.shape().begin(), x.shape().end() - 1));
  if (rows == 0 || n == 0) return;
  T* pc = out.data<T>();
  if (bias.defined()) {
    const T* pbias = bias.data<T>();
    const int64_t sbias = bias.strides()[0];
    parallel_for(0, rows, std::max<int64_t>(1, kGrainSize / n), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t j = 0; j < n; ++j) pc[r * n + j] = pbias[j * sbias];
    });
  }
  gemm<T>(rows, n, k, T(1), x.data<T>(), merged_row_stride(x), x.strides().back(), w.data<T>(),
          w.strides()[1], w.strides()[0], bias.defined() ? T(1) : T(0), pc, n, 1);
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

}  // namespace dc::cpu
