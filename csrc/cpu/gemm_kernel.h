// What the GEMM driver (gemm.cpp) needs from a micro-kernel, and the packing
// routines shared by the kernels. Included by gemm.cpp (baseline x86-64) and,
// through gemm_simd.h, by gemm_avx2.cpp and gemm_avx512.cpp (compiled for
// those ISAs).
//
// ISA hygiene: gemm_avx2.cpp is compiled for AVX2, so any inline function or
// template it shares with the rest of the library could be emitted there
// with AVX2 instructions and chosen by the linker for every caller, which
// would crash on a CPU without AVX2. So this header holds only a plain
// struct and templates in an unnamed namespace (each translation unit gets
// its own private copy, compiled for its own ISA), and the ISA files use no
// standard-library templates.
#pragma once
#include <cstdint>

namespace dc::cpu::gemm_detail {

// One register-blocked micro-kernel with its packing routines and its cache
// blocking. The driver packs an mc x kc block of A into panels of mr rows and
// a kc x nc block of B into panels of nr columns, then calls `kernel[r - 1]`
// once per r x nr tile of C (r = mr but in the last panel of an m that is
// not a multiple of mr).
constexpr int64_t kPackSlack = 16;
constexpr int kMaxMR = 12;  // the tallest register tile
template <class T>
constexpr int kMaxNR = 256 / int(sizeof(T));  // the widest: 256 bytes per row

// C[0:r, 0:nr] = alpha * Apanel[0:r] @ Bpanel + beta * C, where Apanel is dst
// of pack_a (k steps of mr values, of which the first r are used) and Bpanel
// holds k steps of nr values, ldb apart: pack_b's panels (ldb = nr) or a
// row-major B read in place (ldb = its row stride); C has row stride rsc and
// unit column stride; beta == 0: C is not read.
template <class T>
using KernelFn = void (*)(int64_t k, const T* a, const T* b, int64_t ldb, T* c, int64_t rsc,
                          T alpha, T beta);

// The same with A read in place: row i of the tile at a + i * lda, its k
// steps contiguous (a row-major A), no pack_a.
template <class T>
using KernelRowsFn = void (*)(int64_t k, const T* a, int64_t lda, const T* b, int64_t ldb, T* c,
                              int64_t rsc, T alpha, T beta);

// Convolution's weight gradient with im2col done implicitly (cpu/conv.cpp):
// A's rows come in groups of kTaps, the taps j = 0, 1, 2 of one (channel,
// kernel row) of a 3-wide kernel, all read from the (padded) input itself:
// A[kTaps*g + j, r*run + s] = base[g][j + r*jump + s] for the `runs` output
// rows r of a tile and the `run` output columns s of each. Otherwise as
// KernelFn (B: k = runs*run steps of nr values, ldb apart).
constexpr int kTaps = 3;
template <class T>
using KernelTapsFn = void (*)(int64_t runs, int64_t run, int64_t jump, const T* const* base,
                              const T* b, int64_t ldb, T* c, int64_t rsc, T alpha, T beta);

template <class T>
struct MicroKernel {
  const char* name;
  int mr, nr;          // register tile of C (mr <= kMaxMR)
  int64_t mc, kc, nc;  // default cache blocking (mc % mr == 0, nc % nr == 0)
  // kernel[r - 1] computes r rows (r = 1..mr): an m % mr edge costs what it
  // computes, instead of a full tile of zero-padded rows.
  KernelFn<T> kernel[kMaxMR];
  // kernel_rows[r - 1]: the same tiles reading a row-major A in place
  // (nullptr for kernels without them).
  KernelRowsFn<T> kernel_rows[kMaxMR];
  // kernel_taps[r / kTaps - 1]: r rows (r = kTaps, 2*kTaps, ..., mr) of
  // tap-grouped A (nullptr for kernels without them).
  KernelTapsFn<T> kernel_taps[kMaxMR / kTaps];
  // Rows [0, mc) x columns [0, kc) of A (strides rsa, csa) as ceil(mc/mr)
  // panels of mr * kc values, zero-padded past row mc. May write up to
  // kPackSlack values of garbage after the last panel.
  void (*pack_a)(int64_t mc, int64_t kc, const T* a, int64_t rsa, int64_t csa, T* dst);
  // Rows [0, kc) x columns [0, nc) of B as ceil(nc/nr) panels of kc * nr
  // values, zero-padded past column nc.
  void (*pack_b)(int64_t kc, int64_t nc, const T* b, int64_t rsb, int64_t csb, T* dst);
  // Optional (nullptr: none), for a C at most kNarrowN<T> columns wide:
  // C[0:m, 0:n] = alpha * A @ B + beta * C with A read in place (row
  // stride rsa, unit column stride) and B packed as k steps of kNarrowN<T>
  // values, zero past n
  // (pack_b_generic<T, kNarrowN<T>>, 32-byte aligned); any C strides. Rows
  // go in tiles of narrow_mr from row 0, so a split of m at multiples of
  // narrow_mr gives the same bits.
  int narrow_mr;
  void (*narrow)(int64_t m, int64_t k, const T* a, int64_t rsa, const T* b, T* c, int64_t rsc,
                 int64_t csc, int64_t n, T alpha, T beta);
};

// One 256-bit register of T: the widest C the narrow kernel computes.
template <class T>
constexpr int kNarrowN = 32 / int(sizeof(T));

// The AVX2+FMA kernels (gemm_avx2.cpp). Call only when the CPU supports both.
template <class T>
const MicroKernel<T>& avx2_kernel();
template <>
const MicroKernel<float>& avx2_kernel<float>();
template <>
const MicroKernel<double>& avx2_kernel<double>();
// The AVX-512 kernels (gemm_avx512.cpp; no narrow kernel: gemm uses AVX2's).
// Call only when the CPU supports AVX-512F and VL as well as AVX2 and FMA.
template <class T>
const MicroKernel<T>& avx512_kernel();
template <>
const MicroKernel<float>& avx512_kernel<float>();
template <>
const MicroKernel<double>& avx512_kernel<double>();

namespace {  // internal linkage on purpose, see the top of this file

// Packs rows [0, rows) x columns [0, kc) of X (strides rs, cs) into
// ceil(rows/R) panels: panel q holds X[q*R + i, p] at dst[q*R*kc + p*R + i],
// zero past the last row. Packing A is this with R = mr; packing B is this on
// B^T (strides swapped) with R = nr. Each layout reads along its unit stride:
// column-contiguous X copies R values per step, row-contiguous X walks each
// row once (the writes, R apart, stay in the L1-resident panel).
template <class T, int R>
void pack_panels(int64_t rows, int64_t kc, const T* x, int64_t rs, int64_t cs, T* dst) {
  for (int64_t r0 = 0; r0 < rows; r0 += R, dst += R * kc) {
    const T* xr = x + r0 * rs;
    const int64_t nr = rows - r0 < R ? rows - r0 : R;
    if (nr == R && rs == 1) {
      for (int64_t p = 0; p < kc; ++p)
        for (int i = 0; i < R; ++i) dst[p * R + i] = xr[p * cs + i];
    } else if (cs == 1) {
      for (int64_t i = 0; i < nr; ++i)
        for (int64_t p = 0; p < kc; ++p) dst[p * R + i] = xr[i * rs + p];
      for (int64_t i = nr; i < R; ++i)
        for (int64_t p = 0; p < kc; ++p) dst[p * R + i] = T(0);
    } else {
      for (int64_t p = 0; p < kc; ++p) {
        for (int64_t i = 0; i < nr; ++i) dst[p * R + i] = xr[i * rs + p * cs];
        for (int64_t i = nr; i < R; ++i) dst[p * R + i] = T(0);
      }
    }
  }
}

template <class T, int MR>
void pack_a_generic(int64_t mc, int64_t kc, const T* a, int64_t rsa, int64_t csa, T* dst) {
  pack_panels<T, MR>(mc, kc, a, rsa, csa, dst);
}

template <class T, int NR>
void pack_b_generic(int64_t kc, int64_t nc, const T* b, int64_t rsb, int64_t csb, T* dst) {
  pack_panels<T, NR>(nc, kc, b, csb, rsb, dst);
}

}  // namespace

}  // namespace dc::cpu::gemm_detail
