// What the running CPU can do, asked once. Kernels compiled for AVX2+FMA
// (gemm, activations, Adam) are chosen at run time from this, so one wheel
// runs on any x86-64.
#pragma once

namespace dc {

// True on an x86-64 CPU with both AVX2 and FMA; false elsewhere.
bool host_has_avx2_fma();
// True when the CPU (and the OS, which must save the zmm registers) also
// supports AVX-512F and AVX-512VL.
bool host_has_avx512();
// True on an Intel CPU (GEMM tuning that was measured to differ by vendor).
bool host_is_intel();

}  // namespace dc
