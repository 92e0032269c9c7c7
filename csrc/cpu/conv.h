// CPU kernels for csrc/ops/conv.h (conv.cpp): 2-D convolution as im2col +
// GEMM, declared with cuda::'s in ops/kernels/conv.inc, and the CPU's own
// tuning and profiling hooks.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>
#include "core/array.h"
#include "ops/conv.h"

namespace dc::cpu {

#include "ops/kernels/conv.inc"

// Bytes of im2col buffer each worker may use (tests lower it to force many
// tiles per sample); returns the previous value. Not thread-safe.
int64_t set_conv_col_budget(int64_t bytes);

// Whether convolutions may skip building their im2col tiles where a GEMM
// can read them from the input itself (default true; tests and benchmarks
// compare both paths); returns the previous setting. Not thread-safe.
bool set_conv_implicit(bool enabled);

// Benchmark hook: while enabled, convolutions add up the thread-time of each
// phase (im2col, the three GEMMs, col2im, bias). Returns (phase, seconds)
// accumulated since the previous call, resets them, then enables or disables.
std::vector<std::pair<std::string, double>> conv_profile(bool enable);

}  // namespace dc::cpu
