#include "core/cpu_features.h"

namespace dc {

bool host_has_avx2_fma() {
#if defined(__x86_64__) || defined(_M_X64)
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return yes;
#else
  return false;
#endif
}

bool host_has_avx512() {
#if defined(__x86_64__) || defined(_M_X64)
  // libgcc's cpu model reports avx512* only when XCR0 shows the OS saves
  // the opmask and zmm state.
  static const bool yes = [] {
    __builtin_cpu_init();
    return host_has_avx2_fma() && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512vl");
  }();
  return yes;
#else
  return false;
#endif
}

bool host_is_intel() {
#if defined(__x86_64__) || defined(_M_X64)
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_is("intel") != 0;
  }();
  return yes;
#else
  return false;
#endif
}

}  // namespace dc
