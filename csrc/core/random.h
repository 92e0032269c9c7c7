// Deterministic, counter-based random numbers (Philox4x32-10, Salmon et al.,
// "Parallel random numbers: as easy as 1, 2, 3", SC'11). Element i of a draw
// is a pure function of (seed, offset + i), so results do not depend on the
// number of threads or on the device: the functions below are compiled for
// the host and, under nvcc, for the GPU too (DC_HOST_DEVICE), and the CPU
// and CUDA kernels both call them, so one seed gives one stream everywhere.
#pragma once
#include <cmath>
#include <cstdint>
#include "core/host_device.h"

namespace dc {

// The four 32-bit words of one Philox block.
struct PhiloxBlock {
  uint32_t v[4];
  DC_HOST_DEVICE uint32_t operator[](int i) const { return v[i]; }
};

struct Philox {
  static constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;    // round multipliers
  static constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;  // key schedule

  // One of the ten rounds on counter words c0..c3 with key words k0, k1.
  DC_HOST_DEVICE static void round(uint32_t& c0, uint32_t& c1, uint32_t& c2, uint32_t& c3,
                                   uint32_t k0, uint32_t k1) {
    const uint64_t p0 = uint64_t(kMul0) * c0;
    const uint64_t p1 = uint64_t(kMul1) * c2;
    const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c0 = n0; c1 = static_cast<uint32_t>(p1); c2 = n2; c3 = static_cast<uint32_t>(p0);
  }

  DC_HOST_DEVICE static PhiloxBlock block(uint64_t key, uint64_t counter_lo, uint64_t counter_hi) {
    uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
    uint32_t c0 = static_cast<uint32_t>(counter_lo), c1 = static_cast<uint32_t>(counter_lo >> 32);
    uint32_t c2 = static_cast<uint32_t>(counter_hi), c3 = static_cast<uint32_t>(counter_hi >> 32);
    for (int r = 0; r < 10; ++r, k0 += kWeyl0, k1 += kWeyl1) round(c0, c1, c2, c3, k0, k1);
    return {{c0, c1, c2, c3}};
  }
};

// 53 (double) or 24 (float) random bits scaled into [0, 1). Exact products
// (a power of two times an integer), so host and GPU agree bit for bit.
template <class T>
DC_HOST_DEVICE inline T random_unit(uint32_t hi, uint32_t lo) {
  if constexpr (sizeof(T) == 8) {
    uint64_t bits = (uint64_t(hi) << 32 | lo) >> 11;
    return static_cast<T>(bits) * T(1.0 / 9007199254740992.0);
  } else {
    return static_cast<T>(hi >> 8) * T(1.0f / 16777216.0f);
  }
}

// Element `counter` of a uniform draw on [0, 1).
template <class T>
DC_HOST_DEVICE inline T uniform_at(uint64_t seed, uint64_t counter) {
  PhiloxBlock r = Philox::block(seed, counter, 0);
  return random_unit<T>(r[0], r[1]);
}

// Element `counter` of a standard normal draw: Box-Muller in double, u1 in
// (0, 1] keeps the log finite. log and cos are the host libm's on the CPU
// and CUDA's on the GPU (both within 1-2 ulp), so float64 draws may differ
// between devices in the last bits.
template <class T>
DC_HOST_DEVICE inline T normal_at(uint64_t seed, uint64_t counter) {
  PhiloxBlock r = Philox::block(seed, counter, 0);
  double u1 = 1.0 - random_unit<double>(r[0], r[1]);
  double u2 = random_unit<double>(r[2], r[3]);
  return static_cast<T>(::sqrt(-2.0 * ::log(u1)) * ::cos(6.283185307179586 * u2));
}

// Element `counter` of a uniform integer draw on [low, low + range).
DC_HOST_DEVICE inline int64_t randint_at(uint64_t seed, uint64_t counter, int64_t low,
                                         uint64_t range) {
  PhiloxBlock r = Philox::block(seed, counter, 0);
  uint64_t bits = uint64_t(r[0]) << 32 | r[1];
  // Unsigned sum: wraps instead of overflowing for ranges near 2^64.
  return static_cast<int64_t>(static_cast<uint64_t>(low) + bits % range);
}

// A seed and a position in its stream. Each draw of n numbers takes the
// counters [offset, offset + n) and advances the offset past them.
class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  void manual_seed(uint64_t seed) { seed_ = seed; offset_ = 0; }
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_offset(uint64_t offset) { offset_ = offset; }
  // Reserves n counters and returns the first.
  uint64_t advance(uint64_t n) { uint64_t o = offset_; offset_ += n; return o; }

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
};

// The generator behind dc.rand/randn/randint and dc.manual_seed.
Generator& default_generator();

}  // namespace dc
