// The AVX-512 micro-kernels for gemm.cpp: this file alone is compiled with
// -mavx512f -mavx512vl (CMakeLists.txt) and is only called after a run-time
// CPU check. The kernels and packers are gemm_simd.h's templates (the
// packers move 256-bit registers, the kernels 512-bit ones); this file picks
// the tile and the blocking.
//
// Tile: 12 x 2W (W = 16 floats or 8 doubles per 512-bit register): 24
// accumulators, 2 B vectors and the broadcasts (folded into the FMAs as
// embedded broadcasts) of the 32 zmm registers. Per k step 2 loads of B, 12
// broadcast loads of A and 24 FMAs; 24 chains cover 2 FMA pipes x 4 cycles.
// Measured on Zen 5 (full-width AVX-512, 2026-12-07, bench/gemm_bench.cpp,
// 1 thread): the kernel alone runs at the 512-bit FMA peak (262 GFLOP/s
// float32, 2x AVX2's 6x16); against 8 x 3W and 6 x 4W, 12 x 2W was as fast
// or faster on squares, 128x784x256 (+10%) and 64x576x3136 (+4%), and on
// float64 144x576x32 (n = 32: 93 against 68 GFLOP/s for 8 x 3W, whose 24
// columns leave an 8-wide edge), within 4% on 32x144x576. The blocking
// (MC 72, KC 768, NC 2048) was within 2% of MC 48-144 and KC 256-768.
#include "cpu/gemm_kernel.h"

#if defined(__x86_64__) || defined(_M_X64)
#include "cpu/gemm_simd.h"

namespace dc::cpu::gemm_detail {

template <>
const MicroKernel<float>& avx512_kernel<float>() {
  static const MicroKernel<float> uk =
      make_microkernel<Vec512<float>, 12, 2, float>("avx512", 72, 768, 2048,
                                                                          nullptr);
  return uk;
}

template <>
const MicroKernel<double>& avx512_kernel<double>() {
  static const MicroKernel<double> uk =
      make_microkernel<Vec512<double>, 12, 2, double>("avx512", 36, 768,
                                                                            1360, nullptr);
  return uk;
}

}  // namespace dc::cpu::gemm_detail

#endif
