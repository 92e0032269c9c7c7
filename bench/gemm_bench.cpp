// GEMM microbenchmark: the machine's FMA peak, then deepcore's cpu::gemm on
// square and training shapes at 1 and 2 threads, each result checked against
// cpu::gemm_reference first.
//
// Build and run (see docs/benchmarks.md):
//   cmake -S . -B build/bench -DDEEPCORE_BUILD_BENCH=ON -DDEEPCORE_CUDA=OFF
//         -Dpybind11_DIR=$(python -m pybind11 --cmakedir)
//   cmake --build build/bench --target gemm_bench
//   build/bench/gemm_bench [--quick] [--threads 1,2] [--dtype f32|f64|both]
//                          [--kernel auto|portable|avx2|avx512] [--shapes square|train|all]
//                          [--blocking MC,KC,NC] [--threshold FLOPS]
//                          [--shape MxKxN[:NN|NT|TN|TT]]... [--best]
//                          [--sweep "MC,KC,NC MC,KC,NC ..." --shape ...]
//
// Peak: a register-only loop of 12 independent 256-bit FMA chains per thread
// (no loads), so it measures the cores' FMA throughput at the clock they run
// (the best of 15 short runs: a neighbour's load can only lower a run).
// GFLOP/s count 2mnk per product; each time is the median of repeats (at
// least 5 and at least ~0.5 s of work), after a warm-up call.
// Check: the reference (double sums) on every row for products up to 2^28
// FLOPs, else on 16 sampled rows; the error must be within
// 2(k+1) eps sum_p |a_ip||b_pj| per element (Higham's dot-product bound).
#include <omp.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <time.h>
#include <string>
#include <thread>
#include <vector>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include "core/threads.h"
#include "cpu/gemm.h"
#include "cpu/gemm_kernel.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

#if defined(__x86_64__)
// 12 chains of FMAs on registers only: 12 * 8 lanes * 2 FLOPs per iteration.
__attribute__((target("avx2,fma"), noinline)) double fma_loop(int64_t iters) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(float(i) * 1e-3f);
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  }
  float out[8];
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
  _mm256_storeu_ps(out, s);
  return out[0];
}

// The same with 512-bit registers (twice the FLOPs per FMA): the peak of a
// core whose AVX-512 units are full width (Zen 5); Zen 4 runs each as two
// 256-bit halves, so there it shows the AVX2 figure.
__attribute__((target("avx512f"), noinline)) double fma_loop512(int64_t iters) {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(float(i) * 1e-3f);
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  }
  __m512 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, acc[i]);
  float out[16];  // (not _mm512_reduce_add_ps: GCC 12 warns inside it)
  _mm512_storeu_ps(out, s);
  return out[0];
}
#endif

// float32 FMA peak in GFLOP/s over `threads` threads: the best of 15 runs
// of ~0.05 s spread over ~1 s (other processes on the cores can only lower a
// run, so the best is the machine's figure).
double measure_peak(int threads, bool wide) {
#if defined(__x86_64__)
  if (!dc::cpu::cpu_supports_avx2_fma() || (wide && !dc::cpu::cpu_supports_avx512())) return 0;
  const int64_t iters = 10'000'000;
  std::vector<double> rates;
  volatile double sink = 0;
  for (int r = 0; r < 15; ++r) {
    if (r) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto t0 = Clock::now();
#pragma omp parallel num_threads(threads)
    { sink = sink + (wide ? fma_loop512(iters) : fma_loop(iters)); }
    rates.push_back(double(iters) * 12 * (wide ? 32 : 16) * threads / seconds_since(t0) / 1e9);
  }
  return *std::max_element(rates.begin(), rates.end());
#else
  (void)threads, (void)wide;
  return 0;
#endif
}

// A SIMD micro-kernel alone, called over and over on the same packed panels
// (kc = its KC; they stay in L1/L2) and C tile: its ceiling.
template <class T>
double measure_microkernel(const dc::cpu::gemm_detail::MicroKernel<T>& uk) {
#if defined(__x86_64__)
  const int64_t kc = uk.kc;
  std::vector<T, std::allocator<T>> a(uk.mr * kc + 64), b(uk.nr * kc + 64), c(uk.mr * uk.nr);
  T* bp = reinterpret_cast<T*>((reinterpret_cast<uintptr_t>(b.data()) + 63) & ~uintptr_t(63));
  for (auto& x : a) x = T(0.5);
  for (auto& x : b) x = T(0.25);
  const int64_t calls = 40000;
  std::vector<double> rates;  // best of 15, as the peak
  for (int r = 0; r < 15; ++r) {
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < calls; ++i) uk.kernel[uk.mr - 1](kc, a.data(), bp, uk.nr, c.data(), uk.nr, T(1), T(1));
    rates.push_back(2.0 * uk.mr * uk.nr * kc * calls / seconds_since(t0) / 1e9);
  }
  return *std::max_element(rates.begin(), rates.end());
#else
  return 0;
#endif
}

struct Shape {
  int64_t m, k, n;
  char ta, tb;  // 'N': A stored m x k (B k x n); 'T': stored transposed
  std::string label;
};

template <class T>
struct Operands {
  std::vector<T> a, b, c;
  int64_t rsa, csa, rsb, csb;
  Operands(const Shape& s, std::mt19937_64& rng) : a(s.m * s.k), b(s.k * s.n), c(s.m * s.n) {
    std::uniform_real_distribution<double> u(-1, 1);
    for (auto& x : a) x = T(u(rng));
    for (auto& x : b) x = T(u(rng));
    rsa = s.ta == 'N' ? s.k : 1;
    csa = s.ta == 'N' ? 1 : s.m;
    rsb = s.tb == 'N' ? s.n : 1;
    csb = s.tb == 'N' ? 1 : s.k;
  }
  void run(const Shape& s) {
    dc::cpu::gemm<T>(s.m, s.n, s.k, T(1), a.data(), rsa, csa, b.data(), rsb, csb, T(0), c.data(),
                     s.n, 1);
  }
};

// Max error over the checked rows in units of the bound (must be <= 1).
template <class T>
double check(const Shape& s, Operands<T>& op) {
  const bool all = 2.0 * s.m * s.n * s.k <= double(1 << 28);
  std::vector<int64_t> rows;
  if (all) {
    for (int64_t i = 0; i < s.m; ++i) rows.push_back(i);
  } else {
    for (int64_t r = 0; r < 16; ++r) rows.push_back((r * 7919 + 13) % s.m);
    rows.push_back(s.m - 1);
  }
  std::vector<T> ref(s.n);
  const double eps = std::numeric_limits<T>::epsilon();
  double worst = 0;
  for (int64_t i : rows) {
    const T* ai = op.a.data() + i * op.rsa;
    dc::cpu::gemm_reference<T>(1, s.n, s.k, T(1), ai, op.rsa, op.csa, op.b.data(), op.rsb, op.csb,
                               T(0), ref.data(), s.n, 1);
    for (int64_t j = 0; j < s.n; ++j) {
      double bound = 0;
      for (int64_t p = 0; p < s.k; ++p)
        bound += std::fabs(double(ai[p * op.csa])) * std::fabs(double(op.b[p * op.rsb + j * op.csb]));
      const double tol = 2.0 * double(s.k + 1) * eps * bound + std::numeric_limits<T>::min();
      const double err = std::fabs(double(op.c[i * s.n + j]) - double(ref[j]));
      worst = std::max(worst, err / tol);
    }
  }
  return worst;
}

bool g_best = false;  // --best: report the fastest repeat instead of the median

template <class T>
double time_median(const Shape& s, Operands<T>& op) {
  const double flops = 2.0 * s.m * s.n * s.k;
  const int reps = std::clamp(int(5e10 / std::max(flops, 1.0)), 5, 2000);
  std::vector<double> t(reps);
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    op.run(s);
    t[r] = seconds_since(t0);
  }
  std::sort(t.begin(), t.end());
  return g_best ? t[0] : t[reps / 2];
}

template <class T>
bool bench(const std::vector<Shape>& shapes, const std::vector<int>& threads,
           const std::vector<double>& peaks, const char* dtype) {
  std::mt19937_64 rng(42);
  bool ok = true;
  for (const Shape& s : shapes) {
    Operands<T> op(s, rng);
    for (size_t ti = 0; ti < threads.size(); ++ti) {
      dc::set_num_threads(threads[ti]);
      op.run(s);
      const double err = check(s, op);
      const double sec = time_median(s, op);
      const double gflops = 2.0 * s.m * s.n * s.k / sec / 1e9;
      // float64 FMAs do half the lanes of float32.
      const double peak = peaks[ti] * (sizeof(T) == 8 ? 0.5 : 1.0);
      const bool good = err <= 1.0;
      ok = ok && good;
      std::printf("%-8s %-22s %2s %5d %10.3f %9.1f %7.1f%%   %s (err %.2g of bound)\n", dtype,
                  s.label.c_str(), std::string{s.ta, s.tb}.c_str(), threads[ti], sec * 1e3,
                  gflops, peak > 0 ? 100 * gflops / peak : 0.0, good ? "ok" : "WRONG", err);
      std::fflush(stdout);
    }
  }
  return ok;
}

// Blocking sweep: the configurations take turns (two calls each per round,
// for ~30 s in all), so a neighbour's load hits them alike; prints the
// median and best GFLOP/s of each. Thread CPU time at one thread (time
// taken by other processes on the core is not counted), wall time otherwise.
template <class T>
void sweep(const Shape& s, int threads, const std::vector<std::vector<int64_t>>& configs) {
  std::mt19937_64 rng(42);
  Operands<T> op(s, rng);
  dc::set_num_threads(threads);
  auto clock = [threads] {
    timespec ts;
    clock_gettime(threads == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
  };
  const double flops = 2.0 * s.m * s.n * s.k;
  const int rounds = std::clamp(int(3e10 / flops / double(configs.size())), 3, 200);
  std::vector<std::vector<double>> t(configs.size());
  for (int r = 0; r < rounds; ++r)
    for (size_t c = 0; c < configs.size(); ++c) {
      dc::cpu::set_gemm_blocking(configs[c][0], configs[c][1], configs[c][2]);
      for (int rep = 0; rep < 2; ++rep) {
        const double t0 = clock();
        op.run(s);
        t[c].push_back(clock() - t0);
      }
    }
  dc::cpu::set_gemm_blocking(0, 0, 0);
  std::printf("sweep %s %s, %d thread(s), %d rounds (%s time)\n", sizeof(T) == 4 ? "float32" : "float64",
              s.label.c_str(), threads, rounds, threads == 1 ? "thread CPU" : "wall");
  for (size_t c = 0; c < configs.size(); ++c) {
    std::sort(t[c].begin(), t[c].end());
    std::printf("  MC/KC/NC %4lld/%4lld/%5lld   median %6.1f   best %6.1f GFLOP/s\n",
                (long long)configs[c][0], (long long)configs[c][1], (long long)configs[c][2],
                flops / t[c][t[c].size() / 2] / 1e9, flops / t[c][0] / 1e9);
  }
}

std::vector<int64_t> parse_list(const char* s) {
  std::vector<int64_t> v;
  for (const char* p = s; *p;) {
    char* end;
    v.push_back(std::strtoll(p, &end, 10));
    p = *end ? end + 1 : end;
  }
  return v;
}

Shape make_shape(int64_t m, int64_t k, int64_t n, char ta, char tb, std::string label = "") {
  if (label.empty())
    label = std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n);
  return {m, k, n, ta, tb, label};
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string dtype = "both", set = "all";
  std::vector<int> threads = {1, 2};
  std::vector<Shape> custom;
  std::vector<std::vector<int64_t>> sweeps;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* next = i + 1 < argc ? argv[i + 1] : "";
    if (arg == "--quick") {
      quick = true;
    } else if (arg == "--best") {
      g_best = true;
    } else if (arg == "--sweep") {
      // "MC,KC,NC MC,KC,NC ..."
      const std::string v = next;
      ++i;
      for (size_t p = 0; p < v.size();) {
        const size_t e = std::min(v.find(' ', p), v.size());
        const auto c = parse_list(v.substr(p, e - p).c_str());
        if (c.size() == 3) sweeps.push_back(c);
        p = e + 1;
      }
    } else if (arg == "--threads") {
      threads.clear();
      for (int64_t t : parse_list(next)) threads.push_back(int(t));
      ++i;
    } else if (arg == "--dtype") {
      dtype = next, ++i;
    } else if (arg == "--shapes") {
      set = next, ++i;
    } else if (arg == "--kernel") {
      const std::string k = next;
      ++i;
      using dc::cpu::GemmKernel;
      if ((k == "avx2" && !dc::cpu::cpu_supports_avx2_fma()) ||
          (k == "avx512" && !dc::cpu::cpu_supports_avx512())) {
        std::fprintf(stderr, "this CPU cannot run the %s kernel\n", k.c_str());
        return 2;
      }
      dc::cpu::set_gemm_kernel(k == "portable" ? GemmKernel::Portable
                               : k == "avx2"   ? GemmKernel::Avx2
                               : k == "avx512" ? GemmKernel::Avx512
                                               : GemmKernel::Auto);
    } else if (arg == "--blocking") {
      const auto b = parse_list(next);
      ++i;
      if (b.size() == 3) dc::cpu::set_gemm_blocking(b[0], b[1], b[2]);
    } else if (arg == "--threshold") {
      dc::cpu::set_gemm_parallel_threshold(std::strtoll(next, nullptr, 10));
      ++i;
    } else if (arg == "--shape") {
      // MxKxN[:AB] with A, B in {N, T}
      const std::string v = next;
      ++i;
      const auto dims = parse_list(v.substr(0, v.find(':')).c_str());
      const size_t colon = v.find(':');
      const char ta = colon != std::string::npos ? v[colon + 1] : 'N';
      const char tb = colon != std::string::npos ? v[colon + 2] : 'N';
      if (dims.size() == 3) custom.push_back(make_shape(dims[0], dims[1], dims[2], ta, tb));
    } else {
      std::fprintf(stderr, "unknown argument %s (see the top of bench/gemm_bench.cpp)\n", argv[i]);
      return 2;
    }
  }

  std::vector<Shape> shapes = custom;
  if (custom.empty()) {
    if (set == "square" || set == "all")
      for (int64_t n : {64, 128, 256, 512, 1024, 2048, 4096})
        if (!(quick && n > 2048)) shapes.push_back(make_shape(n, n, n, 'N', 'N'));
    if (set == "train" || set == "all") {
      // The three products of a Linear(784, 256) layer on a batch of 128
      // (M x K x N): forward x @ W^T, grad_W = g^T @ x, grad_x^T = W^T @ g^T,
      // in the plain layout and in the layout the layer really uses.
      shapes.push_back(make_shape(128, 784, 256, 'N', 'N'));
      shapes.push_back(make_shape(128, 784, 256, 'N', 'T', "128x784x256 (x@W^T)"));
      shapes.push_back(make_shape(256, 128, 784, 'N', 'N'));
      shapes.push_back(make_shape(256, 128, 784, 'T', 'N', "256x128x784 (g^T@x)"));
      shapes.push_back(make_shape(784, 256, 128, 'N', 'N'));
      shapes.push_back(make_shape(128, 256, 784, 'N', 'N', "128x256x784 (g@W)"));
      // A narrow output (the narrow kernel: n <= 8 float32 columns).
      shapes.push_back(make_shape(512, 512, 8, 'N', 'T', "512x512x8 (x@W^T)"));
      // im2col convolutions: (N*H*W) x (Ci*9) x Co.
      shapes.push_back(make_shape(32 * 56 * 56, 64 * 9, 64, 'N', 'N', "(32*56*56)x576x64"));
      shapes.push_back(make_shape(32 * 56 * 56, 64 * 9, 64, 'N', 'T', "(32*56*56)x576x64"));
      shapes.push_back(make_shape(128 * 26 * 26, 16 * 9, 32, 'N', 'N', "(128*26*26)x144x32"));
      shapes.push_back(make_shape(128 * 26 * 26, 16 * 9, 32, 'N', 'T', "(128*26*26)x144x32"));
    }
  }

  if (!sweeps.empty()) {
    for (const Shape& s : custom)
      for (int t : threads) {
        if (dtype == "f32" || dtype == "both") sweep<float>(s, t, sweeps);
        if (dtype == "f64" || dtype == "both") sweep<double>(s, t, sweeps);
      }
    return 0;
  }
  std::vector<double> peaks;
  // %peak is against the widest FMA the kernel in use issues.
  const bool wide = std::strcmp(dc::cpu::gemm_kernel_name(), "avx512") == 0;
  for (int t : threads) peaks.push_back(measure_peak(t, wide));
  std::printf("deepcore gemm benchmark: kernel %s, parallel threshold %lld FLOPs\n",
              dc::cpu::gemm_kernel_name(), (long long)dc::cpu::gemm_parallel_threshold());
  for (size_t i = 0; i < threads.size(); ++i)
    std::printf("float32 FMA peak (%d-bit), %d thread(s): %.1f GFLOP/s (float64: half)\n",
                wide ? 512 : 256, threads[i], peaks[i]);
#if defined(__x86_64__)
  auto describe = [](const auto& kf, const auto& kd) {
    std::printf("%s tiles %dx%d / %dx%d, blocking MC/KC/NC: float32 %lld/%lld/%lld, float64 "
                "%lld/%lld/%lld; micro-kernel alone (panels in cache, 1 thread): float32 %.1f, "
                "float64 %.1f GFLOP/s\n", kf.name, kf.mr, kf.nr, kd.mr, kd.nr, (long long)kf.mc,
                (long long)kf.kc, (long long)kf.nc, (long long)kd.mc, (long long)kd.kc,
                (long long)kd.nc, measure_microkernel(kf), measure_microkernel(kd));
  };
  using dc::cpu::gemm_detail::avx2_kernel;
  using dc::cpu::gemm_detail::avx512_kernel;
  if (dc::cpu::cpu_supports_avx2_fma()) describe(avx2_kernel<float>(), avx2_kernel<double>());
  if (dc::cpu::cpu_supports_avx512()) describe(avx512_kernel<float>(), avx512_kernel<double>());
#endif
  std::printf("%-8s %-22s %2s %5s %10s %9s %8s\n", "dtype", "MxKxN", "AB", "thr", "ms", "GFLOP/s",
              "%peak");
  bool ok = true;
  if (dtype == "f32" || dtype == "both") ok = bench<float>(shapes, threads, peaks, "float32") && ok;
  if (dtype == "f64" || dtype == "both") ok = bench<double>(shapes, threads, peaks, "float64") && ok;
  return ok ? 0 : 1;
}
