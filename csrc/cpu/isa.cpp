#include "cpu/isa.h"
#include <atomic>
#include "core/cpu_features.h"

namespace dc::cpu {

namespace {
std::atomic<bool> g_allow_avx2{true};
}

bool cpu_has_avx2_fma() {
  return host_has_avx2_fma() && g_allow_avx2.load(std::memory_order_relaxed);
}

void allow_avx2(bool allow) { g_allow_avx2.store(allow); }

}  // namespace dc::cpu
