// Run-time ISA dispatch for CPU loops that gain from wider vectors: they are
// also compiled for AVX2+FMA and for AVX-512 and chosen at run time, so one
// build runs on any x86-64. A kernel is a struct K with
// `template <class T> static void run(args...)` that holds the loops (no
// threading inside); run_kernel<K, T>(args...) calls the AVX-512 or AVX2
// copy of K::run<float> (everything inlined into it by `flatten`) when the
// CPU has it and the cap allows it. Users: softmax and cross-entropy
// (exp-bound rows: 3x the SSE2 build's throughput with AVX2, 1.3-1.5x more
// with AVX-512 on long rows) and conv2d's im2col / col2im (short row copies:
// 1.4x / 2x, see cpu/conv.cpp; im2col AVX2 only), and float32 exp, log,
// sigmoid, tanh and elu over contiguous rows (cpu/loops.h, unary_loop_isa).
// Results may differ in the last bits between the paths (FMA rounding, lane
// counts), never between thread counts. The GEMM has its own dispatch
// (cpu/gemm.cpp).
#pragma once
#include <type_traits>

namespace dc::cpu {

enum class Isa { Portable, Avx2, Avx512 };

// The widest ISA the CPU supports, capped by set_isa_cap (Avx512 by
// default), which tests use to check every path.
Isa isa_level();
void set_isa_cap(Isa cap);
inline bool cpu_has_avx2_fma() { return isa_level() >= Isa::Avx2; }

template <class K, class... A>
__attribute__((target("avx2,fma"), flatten)) void run_avx2(A... args) {
  K::template run<float>(args...);
}

template <class K, class... A>
__attribute__((target("avx512f,avx512vl,avx2,fma,prefer-vector-width=512"), flatten)) void
run_avx512(A... args) {
  K::template run<float>(args...);
}

// The copy for the CPU and the cap, but no wider than `widest`.
template <class K, class T, class... A> inline void run_kernel_upto(Isa widest, A... args) {
  if constexpr (std::is_same_v<T, float>) {
    const Isa isa = isa_level() < widest ? isa_level() : widest;
    if (isa == Isa::Avx512) return run_avx512<K>(args...);
    if (isa == Isa::Avx2) return run_avx2<K>(args...);
  }
  K::template run<T>(args...);
}

template <class K, class T, class... A> inline void run_kernel(A... args) {
  run_kernel_upto<K, T>(Isa::Avx512, args...);
}

// The widest copy worth running for loops along rows of n values: the
// compiler leaves n % 16 values of each row to a scalar epilogue at 512
// bits, n % 8 at 256, and a scalar exp costs about as much as a 16-lane
// one. Measured (float32 softmax / cross-entropy, Zen 5, ns per element,
// AVX2 / AVX-512): n = 10: 2.1 / 4.0, 24: 0.86 / 1.6, 40: 0.69 / 1.0;
// n = 16, 32, 64: 1.09 / 0.94, 0.75 / 0.59, 0.59 / 0.42; 100: 0.61 / 0.49;
// 1000: 0.43 / 0.31.
inline Isa widest_for_rows(long long n) {
  return n % 16 < 8 || n >= 256 ? Isa::Avx512 : Isa::Avx2;
}

}  // namespace dc::cpu
