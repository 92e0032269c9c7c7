#include "cpu/isa.h"
#include <atomic>
#include "core/cpu_features.h"

namespace dc::cpu {

namespace {
std::atomic<Isa> g_cap{Isa::Avx512};

Isa host_level() {
  static const Isa level = host_has_avx512()     ? Isa::Avx512
                           : host_has_avx2_fma() ? Isa::Avx2
                                                 : Isa::Portable;
  return level;
}
}  // namespace

Isa isa_level() {
  const Isa cap = g_cap.load(std::memory_order_relaxed);
  return host_level() < cap ? host_level() : cap;
}

void set_isa_cap(Isa cap) { g_cap.store(cap); }

}  // namespace dc::cpu
