// Run-time ISA dispatch for CPU loops that gain from AVX2+FMA: they are also
// compiled for it and chosen at run time, so one build runs on any x86-64.
// A kernel is a struct K with `template <class T> static void run(args...)`
// that holds the loops (no threading inside); run_kernel<K, T>(args...)
// calls the AVX2 copy of K::run<float> (everything inlined into it by
// `flatten`) when the CPU has AVX2 and FMA. Users: softmax and cross-entropy
// (exp-bound rows: 3x the SSE2 build's throughput) and conv2d's im2col /
// col2im (short row copies: 1.4x / 2x, see cpu/conv.cpp). Results may
// differ in the last bits between the two paths (FMA rounding), never
// between thread counts. The GEMM has its own dispatch (cpu/gemm.cpp).
#pragma once
#include <type_traits>

namespace dc::cpu {

bool cpu_has_avx2_fma();
// Turns the AVX2 copies off (true by default), so tests can check both paths.
void allow_avx2(bool allow);

template <class K, class... A>
__attribute__((target("avx2,fma"), flatten)) void run_avx2(A... args) {
  K::template run<float>(args...);
}

template <class K, class T, class... A> inline void run_kernel(A... args) {
  if constexpr (std::is_same_v<T, float>) {
    if (cpu_has_avx2_fma()) return run_avx2<K>(args...);
  }
  K::template run<T>(args...);
}

}  // namespace dc::cpu
