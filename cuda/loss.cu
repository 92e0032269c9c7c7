// CUDA loss kernels: fused softmax-cross-entropy, nll, multi-margin, the
// elementwise losses, and the reduction of per-row losses. Same formulas as
// csrc/cpu/loss.cpp.
//
// Cross-entropy on logits x (N, C, D), row i = (n, k), elements x_ic at
// (n C + c) D + k, lse_i = log sum_c exp x_ic:
//   forward   one read of the row for m = max and s = sum exp(x - m) (online,
//             activation.cuh), lse = m + log s; class target t:
//             loss_i = (1 - ls) w_t (lse - x_it) [+ ls/C sum_c w_c (lse - x_ic),
//             a second read of the row, only with label smoothing];
//             probabilities: loss_i = sum_c w_c t'_ic (lse - x_ic), second read
//             of x and t, t' = (1 - ls) t + ls/C.
//   backward  gx_ic = s_i (p_ic A_i - B_ic), p = exp(x - lse): one read of x
//             (and of t for probabilities: two), one write; nothing of size
//             N x C is kept between the passes, only lse.
// Bytes per logit (float32): forward 4 (+4 from cache with smoothing),
// backward 8; ~20 FLOP each way. Rows of D == 1 take a warp (C <= 1024) or a
// block each, rows of D > 1 one thread each (adjacent threads read adjacent
// k: coalesced); see launch_rows. Per-row losses go to float64 buffers and
// are reduced by reduce_loss_rows in a fixed tree (deterministic; the CPU
// sums in row order, so the two differ in the last bits of the double sum).
//
// The elementwise losses read their operands through Indexers (weights
// broadcast by zero strides) and write a contiguous output.
#include "activation.cuh"
#include "common.cuh"
#include "loss.h"

namespace dc::cuda {

namespace {

// Typed views of a problem; w is null without per-class weights.
template <class T> struct Problem {
  const T* x;
  const int64_t* cls;  // class targets (or null)
  const T* prob;       // probability targets (or null)
  const T* w;
  int64_t rows, C, D, ignore;
  T ls, lsc;  // label smoothing and ls / C, rounded as on the CPU

  __device__ T wc(int64_t c) const { return w ? w[c] : T(1); }
};

template <class T> Problem<T> problem(const CrossEntropyProblem& pb) {
  Problem<T> v;
  v.x = pb.x->data<T>();
  v.cls = pb.prob ? nullptr : pb.target->data<int64_t>();
  v.prob = pb.prob ? pb.target->data<T>() : nullptr;
  v.w = pb.weight ? pb.weight->data<T>() : nullptr;
  v.rows = pb.N * pb.D;
  v.C = pb.C;
  v.D = pb.D;
  v.ignore = pb.ignore_index;
  v.ls = static_cast<T>(pb.label_smoothing);
  v.lsc = pb.C > 0 ? static_cast<T>(pb.label_smoothing / static_cast<double>(pb.C)) : T(0);
  return v;
}

// Row i of (N, C, D) starts at (i / D) C D + i % D, its elements D apart.
__device__ __forceinline__ int64_t row_base(int64_t i, int64_t C, int64_t D) {
  return D == 1 ? i * C : (i / D) * C * D + i % D;
}

// The gradient factor of row i: grad[i] when grad holds one value per row,
// else grad / denom (in double, as on the CPU).
template <class T> struct RowGrad {
  const T* grad;
  bool per_row;
  double denom;
  __device__ T operator()(int64_t i) const {
    return per_row ? grad[i] : static_cast<T>(static_cast<double>(grad[0]) / denom);
  }
};

template <class T> RowGrad<T> row_grad(const Array& grad, double denom) {
  return {grad.data<T>(), grad.ndim() > 0, denom};
}

// ---------------------------------------------------------------- cross-entropy
template <class T, class G>
__global__ void ce_forward_kernel(Problem<T> v, T* lse, double* row_loss, double* row_weight) {
  const G g;
  const T keep = T(1) - v.ls;
  for (int64_t i = g.first(); i < v.rows; i += g.step()) {
    const int64_t base = row_base(i, v.C, v.D);
    const T* x = v.x + base;
    MaxSum<T> ms;
    for (int64_t c = g.rank(); c < v.C; c += g.size()) ms.push(x[c * v.D]);
    ms = g.merge(ms);
    const T l = ms.m + dlog(ms.s);
    const bool lead = g.rank() == 0;
    if (lead) lse[i] = l;
    if (v.prob) {
      const T* t = v.prob + base;
      T acc = 0;
      for (int64_t c = g.rank(); c < v.C; c += g.size())
        acc += v.wc(c) * (keep * t[c * v.D] + v.lsc) * (l - x[c * v.D]);
      acc = g.sum(acc);
      if (lead) row_loss[i] = acc, row_weight[i] = 1;
      continue;
    }
    const int64_t t = v.cls[i];  // the same for the whole group: the branches stay uniform
    if (t == v.ignore) {
      if (lead) row_loss[i] = row_weight[i] = 0;
      continue;
    }
    const double wt = v.wc(t);
    double loss = (1.0 - static_cast<double>(v.ls)) * wt * (static_cast<double>(l) - x[t * v.D]);
    if (v.ls > T(0)) {
      T sm = 0;
      for (int64_t c = g.rank(); c < v.C; c += g.size()) sm += v.wc(c) * (l - x[c * v.D]);
      loss += static_cast<double>(v.lsc) * g.sum(sm);
    }
    if (lead) row_loss[i] = loss, row_weight[i] = wt;
  }
}

template <class T, class G>
__global__ void ce_backward_kernel(Problem<T> v, const T* lse, RowGrad<T> rg, T* gx) {
  const G g;
  const T keep = T(1) - v.ls;
  for (int64_t i = g.first(); i < v.rows; i += g.step()) {
    const int64_t base = row_base(i, v.C, v.D);
    const T* x = v.x + base;
    T* out = gx + base;
    const T l = lse[i], sc = rg(i);
    if (v.prob) {
      const T* t = v.prob + base;
      T a = 0;
      for (int64_t c = g.rank(); c < v.C; c += g.size()) a += v.wc(c) * (keep * t[c * v.D] + v.lsc);
      a = g.sum(a);
      for (int64_t c = g.rank(); c < v.C; c += g.size()) {
        const int64_t k = c * v.D;
        out[k] = sc * (dexp(x[k] - l) * a - v.wc(c) * (keep * t[k] + v.lsc));
      }
      continue;
    }
    const int64_t t = v.cls[i];
    if (t == v.ignore) {
      for (int64_t c = g.rank(); c < v.C; c += g.size()) out[c * v.D] = T(0);
      continue;
    }
    // A = (1 - ls) w_t + ls/C W, W = sum_c w_c (summed in double, as the CPU).
    T W = static_cast<T>(v.C);
    if (v.w && v.ls > T(0)) {
      double s = 0;
      for (int64_t c = g.rank(); c < v.C; c += g.size()) s += v.w[c];
      W = static_cast<T>(g.sum(s));
    }
    const T wt = v.wc(t);
    const T sa = sc * (keep * wt + v.lsc * W), sl = sc * v.lsc;
    for (int64_t c = g.rank(); c < v.C; c += g.size()) {
      const int64_t k = c * v.D;
      T d = sa * dexp(x[k] - l) - sl * v.wc(c);
      if (c == t) d -= sc * keep * wt;
      out[k] = d;
    }
  }
}

// ---------------------------------------------------------------- nll, multi-margin
template <class T> __global__ void nll_forward_kernel(Problem<T> v, double* row_loss, double* row_weight) {
  DC_CUDA_LOOP(i, v.rows) {
    const int64_t t = v.cls[i];
    if (t == v.ignore) {
      row_loss[i] = row_weight[i] = 0;
      continue;
    }
    const double wt = v.wc(t);
    row_loss[i] = -wt * v.x[row_base(i, v.C, v.D) + t * v.D];
    row_weight[i] = wt;
  }
}

// One thread per element of gx (no separate zero fill).
template <class T> __global__ void nll_backward_kernel(Problem<T> v, RowGrad<T> rg, T* gx) {
  DC_CUDA_LOOP(e, v.rows * v.C) {
    const int64_t k = e % v.D, c = (e / v.D) % v.C, n = e / (v.C * v.D);
    const int64_t i = n * v.D + k, t = v.cls[i];
    gx[e] = (t != v.ignore && t == c) ? -v.wc(t) * rg(i) : T(0);
  }
}

template <class T, class G>
__global__ void margin_forward_kernel(Problem<T> v, int p, double margin, double* row_loss) {
  const G g;
  for (int64_t i = g.first(); i < v.rows; i += g.step()) {
    const T* x = v.x + i * v.C;
    const int64_t t = v.cls[i];
    const double xt = x[t];
    double s = 0;
    for (int64_t j = g.rank(); j < v.C; j += g.size()) {
      const double z = margin - xt + x[j];
      if (j != t && z > 0) s += p == 1 ? z : z * z;
    }
    s = g.sum(s);
    if (g.rank() == 0) row_loss[i] = s * static_cast<double>(v.wc(t)) / static_cast<double>(v.C);
  }
}

template <class T, class G>
__global__ void margin_backward_kernel(Problem<T> v, int p, T margin, RowGrad<T> rg, T* gx) {
  const G g;
  for (int64_t i = g.first(); i < v.rows; i += g.step()) {
    const T* x = v.x + i * v.C;
    T* out = gx + i * v.C;
    const int64_t t = v.cls[i];
    const T f = rg(i) * v.wc(t) / static_cast<T>(v.C);
    const T xt = x[t];
    T total = 0;
    for (int64_t j = g.rank(); j < v.C; j += g.size()) {
      if (j == t) continue;
      const T z = margin - xt + x[j];
      const T d = z > T(0) ? f * (p == 1 ? T(1) : T(2) * z) : T(0);
      out[j] = d;
      total += d;
    }
    total = g.sum(total);
    if (g.rank() == 0) out[t] = -total;
  }
}

// ---------------------------------------------------------------- reduction of rows
// Two fixed passes, so the sum does not depend on scheduling: kPartials
// blocks (fewer for small n) each sum a grid-stride share of the rows, then
// one block adds the partial sums and writes the 0-d result.
constexpr int kPartials = 256;

__global__ void rows_partial_kernel(const double* loss, const double* weight, int64_t n,
                                    double* part_loss, double* part_weight) {
  double s = 0, w = 0;
  DC_CUDA_LOOP(i, n) {
    s += loss[i];
    if (weight) w += weight[i];
  }
  const BlockRows b;
  s = b.sum(s);
  if (weight) w = b.sum(w);
  if (threadIdx.x == 0) part_loss[blockIdx.x] = s, part_weight[blockIdx.x] = w;
}

template <class T>
__global__ void rows_final_kernel(const double* part_loss, const double* part_weight, int parts,
                                  int64_t n, LossReduction r, T* out) {
  double s = 0, w = 0;
  for (int k = threadIdx.x; k < parts; k += blockDim.x) s += part_loss[k], w += part_weight[k];
  const BlockRows b;
  s = b.sum(s);
  w = b.sum(w);
  if (threadIdx.x != 0) return;
  if (r == LossReduction::Mean) s /= static_cast<double>(n);  // 0/0: NaN for an empty batch
  if (r == LossReduction::WeightedMean) s /= w;
  *out = static_cast<T>(s);
}

template <class T> __global__ void rows_cast_kernel(const double* loss, int64_t n, T* out) {
  DC_CUDA_LOOP(i, n) out[i] = static_cast<T>(loss[i]);
}

// ---------------------------------------------------------------- elementwise losses
template <class T> __device__ T log_sigmoid(T x) {
  return fmin(x, T(0)) - dlog1p(dexp(-fabs(x)));
}
template <class T> __device__ T sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + dexp(-x));
  const T e = dexp(x);
  return e / (T(1) + e);
}
template <class T> __device__ T clamped_log(T v) { return fmax(dlog(v), T(-100)); }
template <class T> __device__ T clamped_log1m(T v) { return fmax(dlog1p(-v), T(-100)); }

template <class T> __device__ T loss_value(PointwiseLoss kind, T x, T y, T pw) {
  switch (kind) {
    case PointwiseLoss::MSE: return (x - y) * (x - y);
    case PointwiseLoss::L1: return fabs(x - y);
    case PointwiseLoss::BCE: return (y - T(1)) * clamped_log1m(x) - y * clamped_log(x);
    case PointwiseLoss::BCEWithLogits:
      return (T(1) - y) * x - (T(1) + (pw - T(1)) * y) * log_sigmoid(x);
  }
  return T(0);
}

template <class T> __device__ T loss_grad(PointwiseLoss kind, bool wrt_target, T x, T y, T pw) {
  switch (kind) {
    case PointwiseLoss::MSE: return (wrt_target ? T(-2) : T(2)) * (x - y);
    case PointwiseLoss::L1: {
      const T d = x - y;
      const T sgn = d > T(0) ? T(1) : (d < T(0) ? T(-1) : T(0));
      return wrt_target ? -sgn : sgn;
    }
    case PointwiseLoss::BCE:
      if (wrt_target) return clamped_log1m(x) - clamped_log(x);
      return (x - y) / fmax((T(1) - x) * x, T(1e-12));
    case PointwiseLoss::BCEWithLogits:
      if (wrt_target) return -x - (pw - T(1)) * log_sigmoid(x);
      return (pw * y + T(1) - y) * sigmoid(x) - pw * y;
  }
  return T(0);
}

// An operand read through its indexer.
template <class T> struct In {
  const T* p;
  Indexer ix;
  __device__ T operator[](int64_t i) const { return p[ix.offset(i)]; }
};
template <class T> In<T> in(const Array& a, const Shape& shape) {
  return {a.data<T>(), make_indexer(a, shape)};
}

template <class T>
__global__ void pointwise_kernel(PointwiseLoss kind, T* out, int64_t n, In<T> x, In<T> y, In<T> w,
                                 In<T> pw) {
  DC_CUDA_LOOP(i, n) out[i] = w[i] * loss_value(kind, x[i], y[i], pw[i]);
}

template <class T>
__global__ void pointwise_backward_kernel(PointwiseLoss kind, bool wrt_target, T* out, int64_t n,
                                          In<T> grad, In<T> x, In<T> y, In<T> w, In<T> pw,
                                          T scale) {
  DC_CUDA_LOOP(i, n) out[i] = scale * grad[i] * w[i] * loss_grad(kind, wrt_target, x[i], y[i], pw[i]);
}

// The first index of a non-probability, by atomicMin (unsigned: "none" is all ones).
template <class T>
__global__ void non_probability_kernel(const T* x, int64_t n, unsigned long long* first) {
  DC_CUDA_LOOP(i, n) {
    const T v = x[i];
    if (!(v >= T(0) && v <= T(1))) atomicMin(first, static_cast<unsigned long long>(i));
  }
}

// Calls the kernel launcher f(group, grid, block) for an (N, C, D) problem's rows.
template <class F> void launch_problem(const CrossEntropyProblem& pb, F f) {
  launch_rows(pb.N * pb.D, pb.C, pb.D, f);
}

}  // namespace

void cross_entropy(const CrossEntropyProblem& pb, const Array& row_loss, const Array& row_weight,
                   const Array& lse) {
  if (pb.N * pb.D == 0) return;
  DeviceGuard guard(lse);
  visit_floating(pb.x->dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Problem<T> v = problem<T>(pb);
    launch_problem(pb, [&](auto group, dim3 grid, dim3 block) {
      ce_forward_kernel<T, decltype(group)><<<grid, block, 0, stream_of(lse)>>>(
          v, lse.data<T>(), row_loss.data<double>(), row_weight.data<double>());
    });
  });
  check_launch("cross_entropy");
}

void cross_entropy_backward(const CrossEntropyProblem& pb, const Array& lse, const Array& grad,
                            double denom, const Array& gx) {
  if (gx.numel() == 0) return;
  DeviceGuard guard(gx);
  visit_floating(pb.x->dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Problem<T> v = problem<T>(pb);
    const RowGrad<T> rg = row_grad<T>(grad, denom);
    launch_problem(pb, [&](auto group, dim3 grid, dim3 block) {
      ce_backward_kernel<T, decltype(group)><<<grid, block, 0, stream_of(gx)>>>(
          v, lse.data<T>(), rg, gx.data<T>());
    });
  });
  check_launch("cross_entropy_backward");
}

void nll_loss(const CrossEntropyProblem& pb, const Array& row_loss, const Array& row_weight) {
  const int64_t rows = pb.N * pb.D;
  if (rows == 0) return;
  DeviceGuard guard(row_loss);
  visit_floating(pb.x->dtype(), [&](auto tag) {
    using T = decltype(tag);
    nll_forward_kernel<<<blocks_for(rows), kThreads, 0, stream_of(row_loss)>>>(
        problem<T>(pb), row_loss.data<double>(), row_weight.data<double>());
  });
  check_launch("nll_loss");
}

void nll_loss_backward(const CrossEntropyProblem& pb, const Array& grad, double denom,
                       const Array& gx) {
  const int64_t n = gx.numel();
  if (n == 0) return;
  DeviceGuard guard(gx);
  visit_floating(pb.x->dtype(), [&](auto tag) {
    using T = decltype(tag);
    nll_backward_kernel<<<blocks_for(n), kThreads, 0, stream_of(gx)>>>(
        problem<T>(pb), row_grad<T>(grad, denom), gx.data<T>());
  });
  check_launch("nll_loss_backward");
}

void multi_margin_loss(const CrossEntropyProblem& pb, int64_t p, double margin,
                       const Array& row_loss) {
  if (pb.N == 0) return;
  DeviceGuard guard(row_loss);
  visit_floating(pb.x->dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Problem<T> v = problem<T>(pb);
    launch_rows(pb.N, pb.C, 1, [&](auto group, dim3 grid, dim3 block) {
      margin_forward_kernel<T, decltype(group)><<<grid, block, 0, stream_of(row_loss)>>>(
          v, static_cast<int>(p), margin, row_loss.data<double>());
    });
  });
  check_launch("multi_margin_loss");
}

void multi_margin_loss_backward(const CrossEntropyProblem& pb, int64_t p, double margin,
                                const Array& grad, double denom, const Array& gx) {
  if (gx.numel() == 0) return;
  DeviceGuard guard(gx);
  visit_floating(pb.x->dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Problem<T> v = problem<T>(pb);
    const RowGrad<T> rg = row_grad<T>(grad, denom);
    launch_rows(pb.N, pb.C, 1, [&](auto group, dim3 grid, dim3 block) {
      margin_backward_kernel<T, decltype(group)><<<grid, block, 0, stream_of(gx)>>>(
          v, static_cast<int>(p), static_cast<T>(margin), rg, gx.data<T>());
    });
  });
  check_launch("multi_margin_loss_backward");
}

void reduce_loss_rows(const Array& out, const Array& row_loss, const Array& row_weight,
                      LossReduction r) {
  const int64_t n = row_loss.numel();
  DeviceGuard guard(out);
  cudaStream_t s = stream_of(out);
  visit_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (r == LossReduction::None) {
      if (n > 0) rows_cast_kernel<<<blocks_for(n), kThreads, 0, s>>>(row_loss.data<double>(), n, out.data<T>());
      return;
    }
    const int parts = n == 0 ? 0 : std::min(kPartials, blocks_for(n));
    Array part = Array::empty({2 * std::max(parts, 1)}, DType::Float64, out.device());
    double* pl = part.data<double>();
    double* pw = pl + std::max(parts, 1);
    if (parts > 0) {
      const double* w = r == LossReduction::WeightedMean ? row_weight.data<double>() : nullptr;
      rows_partial_kernel<<<parts, kThreads, 0, s>>>(row_loss.data<double>(), w, n, pl, pw);
    }
    rows_final_kernel<T><<<1, kThreads, 0, s>>>(pl, pw, parts, n, r, out.data<T>());
  });
  check_launch("loss reduction");
}

void pointwise_loss(PointwiseLoss kind, const Array& out, const Array& x, const Array& y,
                    const Array& w, const Array& pw) {
  const int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard guard(out);
  const Shape& sh = out.shape();
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    pointwise_kernel<<<blocks_for(n), kThreads, 0, stream_of(out)>>>(
        kind, out.data<T>(), n, in<T>(x, sh), in<T>(y, sh), in<T>(w, sh), in<T>(pw, sh));
  });
  check_launch("pointwise_loss");
}

void pointwise_loss_backward(PointwiseLoss kind, bool wrt_target, const Array& out,
                             const Array& grad, const Array& x, const Array& y, const Array& w,
                             const Array& pw, double scale) {
  const int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard guard(out);
  const Shape& sh = out.shape();
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    pointwise_backward_kernel<<<blocks_for(n), kThreads, 0, stream_of(out)>>>(
        kind, wrt_target, out.data<T>(), n, in<T>(grad, sh), in<T>(x, sh), in<T>(y, sh),
        in<T>(w, sh), in<T>(pw, sh), static_cast<T>(scale));
  });
  check_launch("pointwise_loss_backward");
}

int64_t first_non_probability(const Array& x) {
  const int64_t n = x.numel();
  if (n == 0) return -1;
  DeviceGuard guard(x);
  cudaStream_t s = stream_of(x);
  Array first = Array::empty({1}, DType::Int64, x.device());
  auto* p = static_cast<unsigned long long*>(first.data_ptr());
  check(cudaMemsetAsync(p, 0xff, sizeof *p, s), "binary_cross_entropy");
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    non_probability_kernel<<<blocks_for(n), kThreads, 0, s>>>(x.data<T>(), n, p);
  });
  check_launch("binary_cross_entropy");
  unsigned long long host = 0;
  cuda::memcpy(&host, -1, p, x.device().index, sizeof host);  // waits for the stream
  return host == ~0ull ? -1 : static_cast<int64_t>(host);
}

}  // namespace dc::cuda
