// General matrix multiply on the CPU (BLIS-style; the design, FLOP and byte
// counts and measurements are in gemm.cpp).
#pragma once
#include <cstdint>

namespace dc::cpu {

// gemm (declared with cuda::gemm in ops/kernels/gemm.inc) splits over
// get_num_threads() threads when the product is big enough; called inside a
// parallel region it stays on the calling thread. Results do not depend on
// the number of threads (each element is summed in the same order). Never
// throws inside a parallel region (falls back to gemm_reference if its
// buffers cannot be allocated there).
#include "ops/kernels/gemm.inc"

// The plain triple loop with the same contract (one thread, sums in double
// for floating types): the reference the benchmark and tests check against.
template <class T>
void gemm_reference(int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t rsa,
                    int64_t csa, const T* b, int64_t rsb, int64_t csb, T beta, T* c,
                    int64_t rsc, int64_t csc);

// C = A @ B + beta * C (beta 0 or 1) for A a convolution's im2col matrix
// read from the input itself (the weight gradient of a 3-wide, stride-1,
// undilated kernel, cpu/conv.cpp): m = 3 * groups rows, row 3g + j, column
// r * run + s is x[goff[g] + j + r * jump + s], k = runs * run; B (k x n) in
// any strides, C (m x n) with row stride rsc. Splits over the threads
// outside a parallel region; results do not depend on their number. Returns
// false, having done nothing, when the kernel in use has no such tiles
// (gemm_taps_available) or its buffer cannot be allocated.
template <class T>
bool gemm_taps(int64_t m, int64_t n, int64_t runs, int64_t run, int64_t jump, const T* x,
               const int64_t* goff, const T* b, int64_t rsb, int64_t csb, T beta, T* c,
               int64_t rsc);
template <class T>
bool gemm_taps_available();

// Which micro-kernel the floating-point GEMM runs. Auto picks AVX-512 when
// the CPU has it, else AVX2+FMA when it has both, else the portable one; the
// environment variable DEEPCORE_GEMM_KERNEL=portable or =avx2 (read once, at
// the first product) caps the choice. int64 always uses the portable kernel.
enum class GemmKernel { Auto, Portable, Avx2, Avx512 };
bool cpu_supports_avx2_fma();
bool cpu_supports_avx512();  // AVX-512F and VL, besides AVX2 and FMA
// Callers check that Avx2 / Avx512 is supported before asking for it.
void set_gemm_kernel(GemmKernel choice);
// "avx512", "avx2" or "portable": the kernel float32/float64 products use now
// (under "avx512", products with fewer than 768 C values still run AVX2's).
const char* gemm_kernel_name();

// Benchmark hook: overrides the cache blocking (0 keeps a kernel's default;
// mc and nc are rounded up to the register tile). Not thread-safe.
void set_gemm_blocking(int64_t mc, int64_t kc, int64_t nc);
// FLOPs (2mnk) per thread: a product uses 2mnk / this many threads (at
// least one, at most get_num_threads()).
int64_t gemm_parallel_threshold();
void set_gemm_parallel_threshold(int64_t flops);

}  // namespace dc::cpu
