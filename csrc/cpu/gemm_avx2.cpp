// The AVX2+FMA micro-kernels for gemm.cpp: this file alone is compiled with
// -mavx2 -mfma (CMakeLists.txt) and is only called after a run-time CPU check.
// The kernels and packers are gemm_simd.h's templates; this file picks the
// tile and the blocking.
//
// Tile: 6 x 2W (W = 8 floats or 4 doubles per 256-bit register): 12
// accumulators, 2 B vectors and 1 broadcast, 15 of the 16 ymm registers.
// Per k step 2 loads of B, 6 broadcasts and 12 FMAs (192 float32 / 96
// float64 FLOPs): 12 independent FMA chains cover Zen 3's 2 FMA pipes x 4
// cycles of latency (8 needed) and Haswell's 2 x 5; 8 loads per 6 cycles of
// FMAs against 2-3 load ports keep the kernel FMA bound when its operands
// come from L1 (B micro-panel) and L2 (A).
#include "cpu/gemm_kernel.h"

#if defined(__x86_64__) || defined(_M_X64)
#include "cpu/gemm_simd.h"

namespace dc::cpu::gemm_detail {

// Cache blocking MC / KC / NC (the reasoning and measurements are at the
// top of gemm.cpp): the kc x 16 (float32) or kc x 8 (float64) B micro-panel
// (48 KiB) and the mc x kc A block (216 KiB) in L2, the kc x nc B panel
// (6 / 8 MiB) in L3.
template <>
const MicroKernel<float>& avx2_kernel<float>() {
  static const MicroKernel<float> uk = make_microkernel<Vec256<float>, 6, 2, float>(
      "avx2", 72, 768, 2048, &narrow_kernel<float>);
  return uk;
}

template <>
const MicroKernel<double>& avx2_kernel<double>() {
  static const MicroKernel<double> uk = make_microkernel<Vec256<double>, 6, 2, double>(
      "avx2", 36, 768, 1360, &narrow_kernel<double>);
  return uk;
}

}  // namespace dc::cpu::gemm_detail

#endif
