// The matrix product, a simple blocked kernel (a BLIS-style GEMM replaces it).
//
// Math: C(m,n) = A(m,k) B(k,n), C[i,j] = sum_p A[i,p] B[p,j].
// Work: 2mnk FLOPs on (mk + kn + mn) elements, so arithmetic intensity grows
// with size and a good kernel is compute bound; this one is bound by L1/L2
// traffic, because every FLOP pair loads and stores an element of C.
//
// Loop order i-p-j ("axpy form": C[i,:] += A[i,p] * B[p,:]): the inner j loop
// runs along contiguous rows of C and B and is vectorised by the compiler.
// Blocking: a kKc x kNc block of B (128 KiB in float32) stays in L2 while
// every row of A streams past it, and four rows of C are updated together so
// each B vector loaded is used four times. A is read as scalars, so any A
// layout works in place; B is used in place when its rows are contiguous and
// otherwise packed one block at a time (a transposed B included), so no
// operand is ever copied whole. Vector cases: fewer than 4 rows stream B
// unblocked; n == 1 and a single row against a non-row-contiguous B use the
// dot form (inner loop over p, 16 partial sums); n == 1 with a column-major A
// is computed as its transpose, a row vector, so A^T's rows stream.
//
// Measured 2026-11-25 on the dev machine (2-core AMD EPYC Zen 3 VM, SSE2 code
// since the build has no -march; best of 5, one thread, loaded machine):
// 512^3 float32 ~19-20 GFLOP/s for A@B, A@B^T and A^T@B (numpy/OpenBLAS
// 84), float64 ~9-10 (numpy 39); 2048x2048 float32 matrix-vector 5-8 GFLOP/s
// (numpy 10-20). Peak for SSE code without FMA: 16 float32 FLOP/cycle,
// ~40 GFLOP/s at 2.45 GHz; so this kernel reaches about half of that.
#include "cpu/matmul.h"
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>
#include "core/threads.h"

namespace dc::cpu {

namespace {

constexpr int64_t kKc = 128;  // rows of a B block
constexpr int64_t kNc = 256;  // columns of a B block (and of the C rows updated)
// FLOPs below which a product (or a chunk of one) stays on one thread: waking
// the team costs a few microseconds, about this much arithmetic.
constexpr int64_t kParallelFlops = int64_t(1) << 18;

// C[0:rows, 0:nc] += A[0:rows, 0:kc] @ B[0:kc, 0:nc], B with unit column stride.
template <class T>
void block_axpy(int64_t rows, int64_t kc, int64_t nc, const T* a, int64_t rsa, int64_t csa,
                const T* b, int64_t ldb, T* c, int64_t ldc) {
  int64_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    T* c0 = c + i * ldc;
    T* c1 = c0 + ldc;
    T* c2 = c1 + ldc;
    T* c3 = c2 + ldc;
    const T* ai = a + i * rsa;
    for (int64_t p = 0; p < kc; ++p) {
      const T* ap = ai + p * csa;
      const T a0 = ap[0], a1 = ap[rsa], a2 = ap[2 * rsa], a3 = ap[3 * rsa];
      const T* bp = b + p * ldb;
#pragma omp simd
      for (int64_t j = 0; j < nc; ++j) {
        const T bj = bp[j];
        c0[j] += a0 * bj;
        c1[j] += a1 * bj;
        c2[j] += a2 * bj;
        c3[j] += a3 * bj;
      }
    }
  }
  for (; i < rows; ++i) {
    T* ci = c + i * ldc;
    const T* ai = a + i * rsa;
    for (int64_t p = 0; p < kc; ++p) {
      const T ap = ai[p * csa];
      const T* bp = b + p * ldb;
#pragma omp simd
      for (int64_t j = 0; j < nc; ++j) ci[j] += ap * bp[j];
    }
  }
}

// Copies B[0:kc, 0:nc] (any strides) into dst with row stride nc, reading
// along whichever of B's dims is closer to contiguous.
template <class T>
void pack_block(int64_t kc, int64_t nc, const T* b, int64_t rsb, int64_t csb, T* dst) {
  if (std::abs(rsb) < std::abs(csb)) {
    for (int64_t j = 0; j < nc; ++j)
      for (int64_t p = 0; p < kc; ++p) dst[p * nc + j] = b[p * rsb + j * csb];
  } else {
    for (int64_t p = 0; p < kc; ++p)
      for (int64_t j = 0; j < nc; ++j) dst[p * nc + j] = b[p * rsb + j * csb];
  }
}

// Rows [i0, i1) of C = A @ B in the axpy form. Runs inside parallel_for: must
// not throw, so the pack buffer is allocated with nothrow new and, if that
// fails, B is read in place with its column stride (slow but correct).
template <class T>
void rows_axpy(int64_t i0, int64_t i1, int64_t n, int64_t k, const T* a, int64_t rsa,
               int64_t csa, const T* b, int64_t rsb, int64_t csb, T* c, int64_t ldc) {
  const int64_t rows = i1 - i0;
  for (int64_t i = i0; i < i1; ++i) std::fill(c + i * ldc, c + i * ldc + n, T(0));
  const T* ar = a + i0 * rsa;
  T* cr = c + i0 * ldc;
  std::unique_ptr<T[]> buf;
  if (csb != 1) buf.reset(new (std::nothrow) T[std::min(k, kKc) * std::min(n, kNc)]);
  for (int64_t j0 = 0; j0 < n; j0 += kNc) {
    const int64_t nc = std::min(kNc, n - j0);
    for (int64_t p0 = 0; p0 < k; p0 += kKc) {
      const int64_t kc = std::min(kKc, k - p0);
      const T* bblk = b + p0 * rsb + j0 * csb;
      if (csb == 1) {
        block_axpy(rows, kc, nc, ar + p0 * csa, rsa, csa, bblk, rsb, cr + j0, ldc);
      } else if (buf) {
        pack_block(kc, nc, bblk, rsb, csb, buf.get());
        block_axpy(rows, kc, nc, ar + p0 * csa, rsa, csa, buf.get(), nc, cr + j0, ldc);
      } else {
        for (int64_t i = 0; i < rows; ++i)
          for (int64_t p = 0; p < kc; ++p)
            for (int64_t j = 0; j < nc; ++j)
              cr[i * ldc + j0 + j] += ar[i * rsa + (p0 + p) * csa] * bblk[p * rsb + j * csb];
      }
    }
  }
}

// sum_p x[p] y[p] over contiguous vectors, in kLanes independent partial
// sums that the compiler keeps in vector registers (one running sum would
// wait on the adder's latency at every step).
template <class T>
T dot_contiguous(int64_t k, const T* x, const T* y) {
  constexpr int kLanes = 16;
  T acc[kLanes] = {};
  int64_t p = 0;
  for (; p + kLanes <= k; p += kLanes)
    for (int w = 0; w < kLanes; ++w) acc[w] += x[p + w] * y[p + w];
  T s = 0;
  for (int w = 0; w < kLanes; ++w) s += acc[w];
  for (; p < k; ++p) s += x[p] * y[p];
  return s;
}

// Elements [e0, e1) of C (row-major flat index) as dot products over p.
template <class T>
void range_dot(int64_t e0, int64_t e1, int64_t n, int64_t k, const T* a, int64_t rsa,
               int64_t csa, const T* b, int64_t rsb, int64_t csb, T* c, int64_t ldc) {
  for (int64_t e = e0; e < e1; ++e) {
    const int64_t i = e / n, j = e % n;
    const T* ai = a + i * rsa;
    const T* bj = b + j * csb;
    T s = 0;
    if (csa == 1 && rsb == 1) {
      s = dot_contiguous(k, ai, bj);
    } else {
      for (int64_t p = 0; p < k; ++p) s += ai[p * csa] * bj[p * rsb];
    }
    c[i * ldc + j] = s;
  }
}

}  // namespace

template <class T>
void gemm(int64_t m, int64_t n, int64_t k, const T* a, int64_t rsa, int64_t csa, const T* b,
          int64_t rsb, int64_t csb, T* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  // A column vector C (n == 1) from a column-major A is the row vector
  // C^T = B^T A^T, whose rows A^T are contiguous: the axpy form streams them.
  if (n == 1 && ldc == 1 && rsa == 1 && csa != 1 && m > 1)
    return gemm(int64_t(1), m, k, b, csb, rsb, a, csa, rsa, c, m);
  const int64_t flops_per_elem = 2 * std::max<int64_t>(k, 1);
  if (n == 1 || (m == 1 && csb != 1)) {
    parallel_for(0, m * n, std::max<int64_t>(1, kParallelFlops / flops_per_elem),
                 [&](int64_t e0, int64_t e1) { range_dot(e0, e1, n, k, a, rsa, csa, b, rsb, csb, c, ldc); });
    return;
  }
  // Few rows reuse a B block too little to pay for blocking: stream B whole,
  // split over threads by columns instead of rows.
  if (m < 4 && csb == 1) {
    const int64_t grain = std::max<int64_t>(64, kParallelFlops / (flops_per_elem * m));
    parallel_for(0, n, grain, [&](int64_t j0, int64_t j1) {
      for (int64_t i = 0; i < m; ++i) std::fill(c + i * ldc + j0, c + i * ldc + j1, T(0));
      block_axpy(m, k, j1 - j0, a, rsa, csa, b + j0, rsb, c + j0, ldc);
    });
    return;
  }
  const int64_t grain = std::max<int64_t>(4, kParallelFlops / (flops_per_elem * n));
  parallel_for(0, m, grain, [&](int64_t i0, int64_t i1) {
    rows_axpy(i0, i1, n, k, a, rsa, csa, b, rsb, csb, c, ldc);
  });
}

template void gemm<float>(int64_t, int64_t, int64_t, const float*, int64_t, int64_t,
                          const float*, int64_t, int64_t, float*, int64_t);
template void gemm<double>(int64_t, int64_t, int64_t, const double*, int64_t, int64_t,
                           const double*, int64_t, int64_t, double*, int64_t);
template void gemm<int64_t>(int64_t, int64_t, int64_t, const int64_t*, int64_t, int64_t,
                            const int64_t*, int64_t, int64_t, int64_t*, int64_t);

namespace {

template <class T>
void batched(const Array& out, const Array& a, const Array& b) {
  const int64_t nd = out.ndim(), nb = nd - 2;
  const int64_t m = out.shape()[nd - 2], n = out.shape()[nd - 1], k = a.shape()[nd - 1];
  const int64_t batch = shape_numel(Shape(out.shape().begin(), out.shape().begin() + nb));
  if (batch == 0 || m == 0 || n == 0) return;
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* pc = out.data<T>();
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
    gemm<T>(m, n, k, pa + oa, sa[nd - 2], sa[nd - 1], pb + ob, sb[nd - 2], sb[nd - 1],
            pc + bi * m * n, n);
  };
  // Threads over the batch when it alone can keep them busy; otherwise one
  // product after another, each split over rows inside gemm.
  if (batch >= get_num_threads()) {
    const int64_t flops = 2 * m * n * std::max<int64_t>(k, 1);
    parallel_for(0, batch, std::max<int64_t>(1, kParallelFlops / flops), [&](int64_t b0, int64_t b1) {
      for (int64_t bi = b0; bi < b1; ++bi) one(bi);
    });
  } else {
    for (int64_t bi = 0; bi < batch; ++bi) one(bi);
  }
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

}  // namespace dc::cpu
