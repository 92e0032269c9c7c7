#include "cpu/random.h"
#include <cmath>
#include "core/random.h"
#include "core/threads.h"

namespace dc::cpu {

namespace {
// 53 (double) or 24 (float) random bits scaled into [0, 1).
template <class T> T to_unit(uint32_t hi, uint32_t lo) {
  if constexpr (sizeof(T) == 8) {
    uint64_t bits = (uint64_t(hi) << 32 | lo) >> 11;
    return static_cast<T>(bits) * T(1.0 / 9007199254740992.0);
  } else {
    return static_cast<T>(hi >> 8) * T(1.0f / 16777216.0f);
  }
}

template <class F>
void generate(const Array& out, int64_t grain, F f) {
  parallel_for(0, out.numel(), grain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) f(i);
  });
}
}  // namespace

void uniform(const Array& out, uint64_t offset, uint64_t seed) {
  visit_floating(out.dtype(), [&](auto t) {
    using T = decltype(t);
    T* p = out.data<T>();
    generate(out, 4096, [&](int64_t i) {
      auto r = Philox::block(seed, offset + static_cast<uint64_t>(i), 0);
      p[i] = to_unit<T>(r[0], r[1]);
    });
  });
}

void normal(const Array& out, uint64_t offset, uint64_t seed) {
  visit_floating(out.dtype(), [&](auto t) {
    using T = decltype(t);
    T* p = out.data<T>();
    generate(out, 4096, [&](int64_t i) {
      // Box-Muller in double: u1 in (0, 1] keeps the log finite.
      auto r = Philox::block(seed, offset + static_cast<uint64_t>(i), 0);
      double u1 = 1.0 - to_unit<double>(r[0], r[1]);
      double u2 = to_unit<double>(r[2], r[3]);
      p[i] = static_cast<T>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
    });
  });
}

void randint(const Array& out, int64_t low, int64_t high, uint64_t offset, uint64_t seed) {
  uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  visit_dtype(out.dtype(), [&](auto t) {
    using T = decltype(t);
    T* p = out.data<T>();
    generate(out, 4096, [&](int64_t i) {
      auto r = Philox::block(seed, offset + static_cast<uint64_t>(i), 0);
      uint64_t bits = uint64_t(r[0]) << 32 | r[1];
      p[i] = static_cast<T>(low + static_cast<int64_t>(bits % range));
    });
  });
}

}  // namespace dc::cpu
