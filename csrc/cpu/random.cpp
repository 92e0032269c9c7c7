// CPU random kernels: element i is uniform_at/normal_at/randint_at (core/random.h)
// of counter offset + i, the very functions the GPU kernels call.
#include "cpu/random.h"
#include "core/random.h"
#include "core/threads.h"

namespace dc::cpu {

namespace {
template <class F>
void generate(const Array& out, F f) {
  parallel_for(0, out.numel(), 4096, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) f(i);
  });
}
}  // namespace

void uniform(const Array& out, uint64_t offset, uint64_t seed) {
  visit_floating(out.dtype(), [&](auto t) {
    using T = decltype(t);
    T* p = out.data<T>();
    generate(out, [&](int64_t i) { p[i] = uniform_at<T>(seed, offset + static_cast<uint64_t>(i)); });
  });
}

void normal(const Array& out, uint64_t offset, uint64_t seed) {
  visit_floating(out.dtype(), [&](auto t) {
    using T = decltype(t);
    T* p = out.data<T>();
    generate(out, [&](int64_t i) { p[i] = normal_at<T>(seed, offset + static_cast<uint64_t>(i)); });
  });
}

void randint(const Array& out, int64_t low, int64_t high, uint64_t offset, uint64_t seed) {
  uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  visit_dtype(out.dtype(), [&](auto t) {
    using T = decltype(t);
    T* p = out.data<T>();
    generate(out, [&](int64_t i) {
      p[i] = static_cast<T>(randint_at(seed, offset + static_cast<uint64_t>(i), low, range));
    });
  });
}

}  // namespace dc::cpu
