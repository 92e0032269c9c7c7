// The strided iteration behind every elementwise kernel.
//
// N operands (the output first) are viewed with the output's shape, inputs
// broadcast by zero strides. Dimensions that are contiguous with each other
// are merged, so a contiguous op becomes one flat loop and a broadcast row
// add becomes rows x columns. The caller's row function receives pointers
// and byte strides for a run of n elements along the innermost dimension and
// picks a fast path (all unit strides, one operand a scalar) or a generic one.
// Kernels here must not throw: they run inside OpenMP regions.
#pragma once
#include <array>
#include <cstdint>
#include <type_traits>
#include "core/array.h"
#include "core/threads.h"
#include "cpu/isa.h"

namespace dc::cpu {

constexpr int kMaxDims = 64;

template <int N>
struct StridedLoop {
  int ndim = 1;
  // Left uninitialised beyond ndim: zeroing 2 KiB per op costs more than a tiny add.
  std::array<int64_t, kMaxDims> sizes;
  std::array<std::array<int64_t, kMaxDims>, N> strides;  // bytes
  std::array<char*, N> base;
  int64_t numel = 1;
};

// ops[0] defines the iteration shape; every other operand must broadcast to it.
template <int N>
StridedLoop<N> make_loop(const std::array<const Array*, N>& ops) {
  StridedLoop<N> L;
  const Shape& shape = ops[0]->shape();
  int nd = static_cast<int>(shape.size());
  for (int k = 0; k < N; ++k) L.base[k] = static_cast<char*>(ops[k]->data_ptr());
  // Gather dims (outermost first), skipping size-1 dims, then merge.
  int m = 0;
  for (int d = 0; d < nd; ++d) {
    if (shape[d] == 1) continue;
    L.sizes[m] = shape[d];
    for (int k = 0; k < N; ++k) {
      const Array& a = *ops[k];
      int ad = d - (nd - static_cast<int>(a.ndim()));
      bool broadcast = ad < 0 || a.shape()[ad] == 1;
      L.strides[k][m] = broadcast ? 0 : a.strides()[ad] * a.itemsize();
    }
    if (m > 0) {
      bool mergeable = true;
      for (int k = 0; k < N; ++k)
        mergeable &= L.strides[k][m - 1] == L.strides[k][m] * L.sizes[m];
      if (mergeable) {
        L.sizes[m - 1] *= L.sizes[m];
        for (int k = 0; k < N; ++k) L.strides[k][m - 1] = L.strides[k][m];
        continue;
      }
    }
    ++m;
  }
  if (m == 0) {  // all size-1 (or 0-d): one element
    L.sizes[0] = 1;
    for (int k = 0; k < N; ++k) L.strides[k][0] = 0;
    m = 1;
  }
  L.ndim = m;
  L.numel = shape_numel(shape);
  return L;
}

// Runs row(ptrs, inner_strides, n) over the linear element range [begin, end).
template <int N, class Row>
void run_range(const StridedLoop<N>& L, int64_t begin, int64_t end, Row& row) {
  const int nd = L.ndim;
  const int64_t inner = L.sizes[nd - 1];
  std::array<int64_t, kMaxDims> idx;
  int64_t rest = begin / inner;
  int64_t i0 = begin % inner;
  for (int d = nd - 2; d >= 0; --d) {
    idx[d] = rest % L.sizes[d];
    rest /= L.sizes[d];
  }
  std::array<int64_t, N> inner_strides;
  for (int k = 0; k < N; ++k) inner_strides[k] = L.strides[k][nd - 1];
  while (begin < end) {
    std::array<char*, N> p;
    for (int k = 0; k < N; ++k) {
      char* q = L.base[k] + i0 * inner_strides[k];
      for (int d = 0; d < nd - 1; ++d) q += idx[d] * L.strides[k][d];
      p[k] = q;
    }
    int64_t n = std::min(inner - i0, end - begin);
    row(p, inner_strides, n);
    begin += n;
    i0 = 0;
    for (int d = nd - 2; d >= 0; --d) {
      if (++idx[d] < L.sizes[d]) break;
      idx[d] = 0;
    }
  }
}

// Runs row over all elements, split over threads when the op is large.
template <int N, class Row>
void for_each_row(const StridedLoop<N>& L, Row&& row) {
  parallel_for(0, L.numel, kGrainSize, [&](int64_t b, int64_t e) { run_range(L, b, e, row); });
}

// out[i] = f(a[i]) with Out/In element types.
template <class Out, class In, class F>
void unary_loop(const Array& out, const Array& a, F f) {
  auto L = make_loop<2>({&out, &a});
  for_each_row(L, [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
    Out* o = reinterpret_cast<Out*>(p[0]);
    const In* x = reinterpret_cast<const In*>(p[1]);
    if (s[0] == sizeof(Out) && s[1] == sizeof(In)) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i]);
    } else if (s[0] == sizeof(Out) && s[1] == 0) {
      Out v = f(*x);
      for (int64_t i = 0; i < n; ++i) o[i] = v;
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<Out*>(p[0] + i * s[0]) = f(*reinterpret_cast<const In*>(p[1] + i * s[1]));
    }
  });
}

// unary_loop for ops whose float32 loop gains from wider vectors: contiguous
// float32 rows run K::run(out, in, n, args...) through run_kernel (its AVX2
// and AVX-512 copies, cpu/isa.h); everything else the plain loop of f.
template <class K, class T, class F, class... A>
void unary_loop_isa(const Array& out, const Array& a, F f, A... args) {
  if constexpr (std::is_same_v<T, float>) {
    auto L = make_loop<2>({&out, &a});
    for_each_row(L, [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
      if (s[0] == sizeof(float) && s[1] == sizeof(float))
        return run_kernel<K, float>(reinterpret_cast<float*>(p[0]),
                                    reinterpret_cast<const float*>(p[1]), n, args...);
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<float*>(p[0] + i * s[0]) = f(*reinterpret_cast<const float*>(p[1] + i * s[1]));
    });
  } else {
    unary_loop<T, T>(out, a, f);
  }
}

// out[i] = f(a[i], b[i]); both inputs of type In.
template <class Out, class In, class F>
void binary_loop(const Array& out, const Array& a, const Array& b, F f) {
  auto L = make_loop<3>({&out, &a, &b});
  for_each_row(L, [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
    Out* o = reinterpret_cast<Out*>(p[0]);
    const In* x = reinterpret_cast<const In*>(p[1]);
    const In* y = reinterpret_cast<const In*>(p[2]);
    constexpr int64_t so = sizeof(Out), si = sizeof(In);
    if (s[0] == so && s[1] == si && s[2] == si) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
    } else if (s[0] == so && s[1] == si && s[2] == 0) {
      const In yv = *y;
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
    } else if (s[0] == so && s[1] == 0 && s[2] == si) {
      const In xv = *x;
      for (int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<Out*>(p[0] + i * s[0]) =
            f(*reinterpret_cast<const In*>(p[1] + i * s[1]),
              *reinterpret_cast<const In*>(p[2] + i * s[2]));
    }
  });
}

// binary_loop's counterpart of unary_loop_isa: contiguous float32 rows run
// K::run(out, a, b, n, args...) through run_kernel, the rest binary_loop.
template <class K, class T, class F, class... A>
void binary_loop_isa(const Array& out, const Array& a, const Array& b, F f, A... args) {
  if constexpr (std::is_same_v<T, float>) {
    auto L = make_loop<3>({&out, &a, &b});
    for_each_row(L, [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
      if (s[0] == sizeof(float) && s[1] == sizeof(float) && s[2] == sizeof(float))
        return run_kernel<K, float>(reinterpret_cast<float*>(p[0]),
                                    reinterpret_cast<const float*>(p[1]),
                                    reinterpret_cast<const float*>(p[2]), n, args...);
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<float*>(p[0] + i * s[0]) =
            f(*reinterpret_cast<const float*>(p[1] + i * s[1]),
              *reinterpret_cast<const float*>(p[2] + i * s[2]));
    });
  } else {
    binary_loop<T, T>(out, a, b, f);
  }
}

}  // namespace dc::cpu
