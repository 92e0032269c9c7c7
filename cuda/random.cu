// GPU random draws: one thread per element, each a Philox4x32-10 block
// (10 rounds of 2 32x32->64 multiplies, ~60 integer ops) on its counter.
// Compute-light enough to stay write-bound: 4 or 8 bytes written per element.
// Box-Muller (randn) adds one log, one cos and one sqrt in double.
#include "core/random.h"
#include "common.cuh"
#include "random.h"

namespace dc::cuda {

namespace {

enum class Dist { Uniform, Normal, Int };

template <Dist D, class T>
__global__ void draw_kernel(T* out, int64_t n, uint64_t offset, uint64_t seed, int64_t low,
                            uint64_t range) {
  DC_CUDA_LOOP(i, n) {
    uint64_t counter = offset + static_cast<uint64_t>(i);
    if constexpr (D == Dist::Uniform) out[i] = uniform_at<T>(seed, counter);
    else if constexpr (D == Dist::Normal) out[i] = normal_at<T>(seed, counter);
    else out[i] = static_cast<T>(randint_at(seed, counter, low, range));
  }
}

template <Dist D, class T>
void draw(const char* op, const Array& out, uint64_t offset, uint64_t seed, int64_t low = 0,
          uint64_t range = 1) {
  int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard guard(out);
  draw_kernel<D, T><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(out.data<T>(), n, offset,
                                                                    seed, low, range);
  check_launch(op);
}

}  // namespace

void uniform(const Array& out, uint64_t offset, uint64_t seed) {
  visit_floating(out.dtype(), [&](auto t) { draw<Dist::Uniform, decltype(t)>("rand", out, offset, seed); });
}

void normal(const Array& out, uint64_t offset, uint64_t seed) {
  visit_floating(out.dtype(), [&](auto t) { draw<Dist::Normal, decltype(t)>("randn", out, offset, seed); });
}

void randint(const Array& out, int64_t low, int64_t high, uint64_t offset, uint64_t seed) {
  uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  visit_dtype(out.dtype(), [&](auto t) {
    draw<Dist::Int, decltype(t)>("randint", out, offset, seed, low, range);
  });
}

}  // namespace dc::cuda
