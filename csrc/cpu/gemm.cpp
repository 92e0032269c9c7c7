// General matrix multiply, BLIS-style: the driver (blocking, packing,
// threads), the portable micro-kernel, the matrix-vector paths and the plain
// reference. The SIMD micro-kernels and their packing are templates in
// gemm_simd.h, instantiated for AVX2+FMA (gemm_avx2.cpp: 6x16 float32 / 6x8
// float64) and AVX-512 (gemm_avx512.cpp: 12x32 / 12x16), the widest the CPU
// has chosen at run time; measurements are in docs/benchmarks.md ("GEMM").
//
// Math: C = alpha * A @ B + beta * C, C[i,j] = alpha sum_p A[i,p] B[p,j] +
// beta C[i,j], with A m x k, B k x n, C m x n in any strides (a transposed
// operand is the same memory with its strides swapped; a column-major C is
// computed as the row-major C^T = B^T A^T).
// Work: 2mnk FLOPs on at least (mk + kn + 2mn) elements, so a large product
// is compute bound if each value loaded is reused from registers and caches.
//
// Algorithm (K. Goto and R. van de Geijn, "Anatomy of high-performance
// matrix multiplication", ACM TOMS 2008; F. Van Zee and R. van de Geijn,
// "BLIS", ACM TOMS 2015; T. Low et al., "Analytical modeling is enough for
// high-performance BLIS", ACM TOMS 2016):
//   for jc in n by NC:                      B panel kc x nc   -> L3
//     for pc in k by KC:
//       pack B[pc:+kc, jc:+nc] into nr-column micro-panels (zero padded)
//       for ic in m by MC:                  A block mc x kc   -> L2
//         pack A[ic:+mc, pc:+kc] into mr-row micro-panels (zero padded)
//         for jr in nc by nr:               B micro-panel kc x nr -> L1/L2
//           for ir in mc by mr:             C tile mr x nr    -> registers
//             micro-kernel: C tile (+)= A micro-panel @ B micro-panel
// Bytes moved: packing copies mk*ceil(n/NC) + kn values (a few percent of
// the time at n >= 512); the micro-kernel reads (mr + nr) packed values per
// 2*mr*nr FLOPs (22 per 192 for 6x16) from L1/L2; C is read and written
// ceil(k/KC) times (the first pass applies beta, later ones add). The m % mr
// rows of the last panel run the micro-kernel instantiated for that many
// rows (M = 128 is 21 six-row tiles and one of 2 rows, which would cost a
// full tile padded to 6); tiles narrower than nr, and transposed C, go
// through a small buffer and copy the valid part out, so no scalar path
// dominates odd sizes.
//
// Blocking (MC first measured on Zen 3, L2 512 KiB; KC and NC on Zen 4,
// L2 1 MiB; both L1d 32 KiB, L3 32 MiB shared): KC = 768 for both dtypes,
// so the B micro-panel (768 x 16 x 4 B = 768 x 8 x 8 B = 48 KiB) streams
// from L2 rather than sitting in L1 as BLIS's 256 would. The kernel's loads
// hide L2 latency, so a long k costs nothing at 1 thread (within 1% of
// KC = 384 on squares), while every k block costs a pass over C and, with
// threads, two barriers: KC = 768 is 7% faster on im2col's 100352x576x64
// (one pass over a 25 MB C instead of two) and 3-6% faster at 2 threads on
// squares and 128x784x256.
// MC = 72 float32 / 36 float64 (a 216 KiB A block, half of Zen 3's L2):
// measured at least as fast as 144 / 72. NC = 2048 / 1360 bounds the packed
// B panel (6 / 8 MiB) well inside L3. KC and NC are balanced (k = 1000 runs
// as 2 x 500, not 768 + 232) so no pass is short, and the A blocks are
// equal-sized groups of mr-row panels.
//
// Threads: one OpenMP region per product (products under 2 x
// g_parallel_flops stay on the calling thread). For each (jc, pc) block the
// team packs the B panel (dynamic work items, then the loop's barrier).
// Then each thread packs and computes the A blocks it owns (every nt-th; the
// A blocks are rounded to a multiple of the thread count), taking their B
// micro-panels one at a time from a per-block atomic counter, and when its
// own are done takes the micro-panels left in the other blocks (packing such
// a block only when it gets one, and only while more than two are left). So
// the threads finish within about one micro-panel of each other (~15 us for
// m = 128, k = 784) even for small m, and a thread that loses its core to
// another process leaves its work to the others. Each C tile is computed by
// one thread with the k blocks in order, so results are bitwise independent
// of the number of threads.
//
// Matrix-vector products (m == 1 or n == 1) are memory bound (each element
// of the matrix is used once): they skip packing and run a dot or axpy loop.
// A C at most one register wide (n <= 8 float32 / 4 float64) uses each value
// of A at most 8 times, too few to pay for packing it: the AVX2 narrow kernel
// reads a row-major A in place (gemm_narrow).
#include "cpu/gemm.h"
#include <omp.h>
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include "core/cpu_features.h"
#include "core/threads.h"
#include "cpu/gemm_kernel.h"

namespace dc::cpu {

using gemm_detail::MicroKernel;

namespace {

// ---------------------------------------------------------------- selection

#if defined(__x86_64__) || defined(_M_X64)
constexpr bool kHaveAvx2Code = true;
#else
constexpr bool kHaveAvx2Code = false;
#endif

// The environment's choice, read once: "portable" or "avx2" caps the kernel
// (a supported one; anything else means auto).
GemmKernel env_choice() {
  static const GemmKernel choice = [] {
    const char* v = std::getenv("DEEPCORE_GEMM_KERNEL");
    if (v && std::strcmp(v, "portable") == 0) return GemmKernel::Portable;
    if (v && std::strcmp(v, "avx2") == 0 && cpu_supports_avx2_fma()) return GemmKernel::Avx2;
    return GemmKernel::Auto;
  }();
  return choice;
}

std::atomic<int> g_choice{-1};  // -1: not set by set_gemm_kernel, use the environment's

// The kernel float products use now: the chosen one, or under Auto the
// widest the CPU supports.
GemmKernel current_kernel() {
  const int c = g_choice.load(std::memory_order_relaxed);
  const GemmKernel choice = c < 0 ? env_choice() : static_cast<GemmKernel>(c);
  if (choice != GemmKernel::Auto) return choice;
  if (cpu_supports_avx512()) return GemmKernel::Avx512;
  return cpu_supports_avx2_fma() ? GemmKernel::Avx2 : GemmKernel::Portable;
}

// Blocking overrides (benchmark hook) and the threading threshold.
int64_t g_mc = 0, g_kc = 0, g_nc = 0;
// FLOPs per thread: a product of 2mnk FLOPs uses 2mnk / g_parallel_flops
// threads (at least 1). Waking a thread, sharing the B panel and the
// barriers cost a few microseconds, about 0.5 MFLOP of one core's work: a
// second thread first pays off around 80^3 (1 MFLOP), see docs/benchmarks.md.
std::atomic<int64_t> g_parallel_flops{int64_t(1) << 19};

// ----------------------------------------------------------- portable kernel

// The register tile of the portable kernel: 8 float (or 4 double) vectors of
// SSE2, the x86-64 baseline, as accumulators; the compiler vectorises the j
// loop. int64 has no SIMD multiply there and runs scalar.
template <class T>
struct PortableTile;
template <>
struct PortableTile<float> { static constexpr int mr = 4, nr = 8; };
template <>
struct PortableTile<double> { static constexpr int mr = 4, nr = 4; };
template <>
struct PortableTile<int64_t> { static constexpr int mr = 4, nr = 4; };

// The first R (<= MR) rows of an MR x NR tile.
template <class T, int MR, int NR, int R>
void portable_kernel(int64_t k, const T* a, const T* b, int64_t ldb, T* c, int64_t rsc, T alpha,
                     T beta) {
  T acc[R][NR] = {};
  for (int64_t p = 0; p < k; ++p, a += MR, b += ldb)
    for (int i = 0; i < R; ++i)
      for (int j = 0; j < NR; ++j) acc[i][j] += a[i] * b[j];
  for (int i = 0; i < R; ++i) {
    T* ci = c + i * rsc;
    if (beta == T(0)) {
      for (int j = 0; j < NR; ++j) ci[j] = alpha * acc[i][j];
    } else {
      for (int j = 0; j < NR; ++j) ci[j] = alpha * acc[i][j] + beta * ci[j];
    }
  }
}

template <class T>
const MicroKernel<T>& portable_microkernel() {
  constexpr int MR = PortableTile<T>::mr, NR = PortableTile<T>::nr;
  // B micro-panel 256 * NR values (8 KiB float32) in L1; A block 128 x 256
  // values in L2.
  static_assert(MR == 4, "one kernel per row count 1..MR below");
  static const MicroKernel<T> k = {"portable", MR, NR, 128, 256, 4096,
                                   {&portable_kernel<T, MR, NR, 1>, &portable_kernel<T, MR, NR, 2>,
                                    &portable_kernel<T, MR, NR, 3>, &portable_kernel<T, MR, NR, 4>},
                                   {},
                                   {},
                                   &gemm_detail::pack_a_generic<T, MR>,
                                   &gemm_detail::pack_b_generic<T, NR>, 0, nullptr};
  return k;
}

template <class T>
const MicroKernel<T>& select_kernel(GemmKernel which) {
  if constexpr (kHaveAvx2Code && !std::is_same_v<T, int64_t>) {
    if (which == GemmKernel::Avx512) return gemm_detail::avx512_kernel<T>();
    if (which == GemmKernel::Avx2) return gemm_detail::avx2_kernel<T>();
  }
  return portable_microkernel<T>();
}

// ------------------------------------------------------------------ helpers

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// C = beta * C (beta == 0 writes zeros without reading C).
template <class T>
void scale_c(int64_t m, int64_t n, T beta, T* c, int64_t rsc, int64_t csc) {
  if (beta == T(1)) return;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      T& x = c[i * rsc + j * csc];
      x = beta == T(0) ? T(0) : beta * x;
    }
}

// A growing, 64-byte aligned scratch buffer per thread, kept between calls
// so that steady-state products neither allocate nor fault pages in.
struct Workspace {
  void* ptr = nullptr;
  size_t bytes = 0;
  ~Workspace() { std::free(ptr); }
  void* get(size_t need) noexcept {
    if (need > bytes) {
      std::free(ptr);
      bytes = round_up(static_cast<int64_t>(need), 4096);
      ptr = std::aligned_alloc(64, bytes);
      if (!ptr) bytes = 0;
    }
    return ptr;
  }
};
thread_local Workspace tls_workspace;

// ------------------------------------------------------------ packed driver

template <class T>
struct Problem {
  int64_t m, n, k;
  T alpha;
  const T* a;
  int64_t rsa, csa;
  const T* b;
  int64_t rsb, csb;
  T beta;
  T* c;
  int64_t rsc, csc;
};

// How one product is cut up; shared by all threads.
struct Blocking {
  int64_t kc, nc;        // k and n blocks (maxima; balanced over k and n)
  int64_t row_panels;    // ceil(m / mr)
  int64_t row_blocks;    // A blocks: row block b holds panels [b*rp/rb, (b+1)*rp/rb)
  int64_t mc_max;        // rows of the largest A block
  int64_t bchunk;        // B micro-panels packed per work item
  bool b_in_place;       // full B micro-panels read from B itself, not packed
  bool a_in_place;       // A read from A itself by kernel_rows, not packed
};

// A row-major B is read in place, not packed, when C has at most this many
// rows: each B value is then used at most this many times, so copying it
// costs a large share of the product (packing 144x576 took 5.3 of the 28 us
// of the 32x144x576 product of a conv layer's forward, per sample), while
// the micro-kernel's B loads stay as cheap from B's rows as from a panel:
// each k step reads whole cache lines of one row, and the row panels after
// the first find the micro-panel in L1. Measured on Zen 5 (AVX-512, 1
// thread, GFLOP/s packed -> in place): float32 32x144x576 191 -> 234,
// 12x1000x1000 138 -> 224, 24x512x512 180 -> 244, 64x576x3136 183 -> 212,
// 32x2000x2000 130 -> 199; float64 gains up to 48 rows and is even at 64.
// Beyond that it stops paying: 128x1024x1024 225 -> 184 (rows 4 KiB apart
// alias in L1), 144x32x576 211 -> 176.
constexpr int64_t kInPlaceRows = 64;
// On Intel float32 keeps paying up to 256 rows (Emerald Rapids, AVX-512, 1
// thread, GFLOP/s packed -> in place: 144x32x576 (conv2's input gradient
// per sample) 184 -> 196, 144x576x576 188 -> 215, 128x784x256 201 -> 216,
// 200x300x700 206 -> 218, 256^3 210 -> 216; 100x1000x1000 162 -> 159),
// unless B's rows are a multiple of 2 KiB apart: then they fall into few
// cache sets (128x1024x1024 178 -> 97). Float64 loses there (144x576x576 84
// -> 76, 200x300x700 92 -> 82), as does float32 on Zen 5 (144x32x576 211 ->
// 176, above).
constexpr int64_t kInPlaceRowsIntel = 256;

int64_t in_place_rows(int64_t ldb_bytes, int64_t itemsize) {
  static const bool intel = host_is_intel();
  return intel && itemsize == 4 && ldb_bytes % 2048 != 0 ? kInPlaceRowsIntel : kInPlaceRows;
}

// A row-major A is read in place (kernel_rows) when C is at most this many
// B micro-panels wide: each A value is then used by that few micro-panels,
// and packing it would copy about as many bytes as the kernels read.
// Measured on Zen 5 (AVX-512, 1 thread, GFLOP/s packed -> in place up to 1
// / 2 micro-panels): float32 144x576x32 (conv2's weight gradient per
// sample) 199 -> 236 / 233, 576x3136x64 212 -> 210 / 242, 100352x576x64 174
// -> 173 / 216, 2000x2000x32 168 -> 236 / 242; float64 144x576x32 97 -> 94
// / 116, 2000x2000x32 76 -> 74 / 110; 128x784x30 161 -> 152 / 158 (within
// noise).
constexpr int64_t kInPlaceACols = 2;

Blocking blocking_for(int mr, int nr, int64_t mc0,
                      int64_t kc0, int64_t nc0, int64_t m, int64_t n, int64_t k, int nt,
                      bool b_row_major, int64_t ldb_bytes, int64_t itemsize, bool a_rows) {
  const int64_t MC = round_up(g_mc > 0 ? g_mc : mc0, mr);
  const int64_t KC = g_kc > 0 ? g_kc : kc0;
  const int64_t NC = round_up(g_nc > 0 ? g_nc : nc0, nr);
  Blocking bl;
  bl.kc = ceil_div(k, ceil_div(k, KC));
  bl.nc = round_up(ceil_div(n, ceil_div(n, NC)), nr);
  bl.row_panels = ceil_div(m, mr);
  bl.row_blocks = ceil_div(bl.row_panels * mr, MC);
  // An even share of A blocks per thread (each thread owns every nt-th).
  if (nt > 1) bl.row_blocks = round_up(bl.row_blocks, nt);
  bl.row_blocks = std::min(bl.row_blocks, bl.row_panels);
  bl.mc_max = ceil_div(bl.row_panels, bl.row_blocks) * mr;
  const int64_t npan = ceil_div(std::min(n, bl.nc), nr);
  bl.bchunk = std::max<int64_t>(1, npan / (4 * nt));
  bl.b_in_place = b_row_major && m <= in_place_rows(ldb_bytes, itemsize) && n >= nr;
  bl.a_in_place = a_rows && n <= kInPlaceACols * nr;
  return bl;
}

// Hands out the B micro-panels of one A block, one at a time, to whichever
// thread asks; on its own cache line so the threads' counters do not share one.
struct alignas(64) PanelCounter {
  std::atomic<int64_t> next{0};
};

// Runs f(u) for u in [0, n): split dynamically over the team when called
// by every thread of gemm's own parallel region (`team`), else in order.
// Each worksharing loop ends with the team's barrier.
template <class F>
void for_each_unit(bool team, int64_t n, F&& f) {
  if (team) {
#pragma omp for schedule(dynamic, 1)
    for (int64_t u = 0; u < n; ++u) f(u);
  } else {
    for (int64_t u = 0; u < n; ++u) f(u);
  }
}

// The loops of one thread (`tid` of `nt`). Per (jc, pc) block: the team
// packs the B panel (work items of bchunk micro-panels) and waits for it.
// Then each thread works through the A blocks it owns (every nt-th row
// block), packing each once and taking its B micro-panels from the block's
// counter; when its own blocks are used up it takes the micro-panels still
// left in the others' blocks, packing such a block only once it has one.
// So a thread that loses its core to another process does less of the work
// instead of holding everyone up, and a thread packs other blocks only
// then. The team waits again before the B panel is repacked.
template <class T>
void packed_thread(const MicroKernel<T>& uk, const Problem<T>& P, const Blocking& bl, T* bbuf,
                   T* abuf, PanelCounter* counters, int tid, int nt) {
  const int MR = uk.mr, NR = uk.nr;
  const bool team = nt > 1;
  alignas(64) T tmp[gemm_detail::kMaxMR * gemm_detail::kMaxNR<T>];  // one C tile, for the edges

  for (int64_t jc = 0; jc < P.n; jc += bl.nc) {
    const int64_t nc = std::min(bl.nc, P.n - jc);
    const int64_t npan = ceil_div(nc, NR);
    for (int64_t pc = 0; pc < P.k; pc += bl.kc) {
      const int64_t kc = std::min(bl.kc, P.k - pc);
      // The counters are reset here and read only after the loop's barrier.
      if (tid == 0)
        for (int64_t ib = 0; ib < bl.row_blocks; ++ib)
          counters[ib].next.store(0, std::memory_order_relaxed);
      // B read in place: only a partial last micro-panel is packed (at bbuf).
      const int64_t inplace = bl.b_in_place ? nc / NR : 0;  // micro-panels read in place
      const T* const bpc = P.b + pc * P.rsb + jc;            // B[pc, jc] when in place
      if (bl.b_in_place) {
        for_each_unit(team, npan - inplace, [&](int64_t) {
          uk.pack_b(kc, nc - inplace * NR, bpc + inplace * NR, P.rsb, 1, bbuf);
        });
      } else {
        for_each_unit(team, ceil_div(npan, bl.bchunk), [&](int64_t item) {
          const int64_t q0 = item * bl.bchunk, q1 = std::min(npan, q0 + bl.bchunk);
          uk.pack_b(kc, std::min(nc, q1 * NR) - q0 * NR,
                    P.b + pc * P.rsb + (jc + q0 * NR) * P.csb, P.rsb, P.csb, bbuf + q0 * NR * kc);
        });
      }
      const T beta = pc == 0 ? P.beta : T(1);

      // Row block ib against B micro-panels taken from its counter, its A
      // block packed before the first one; skipped if at most `leave` are left.
      auto run_block = [&](int64_t ib, int64_t leave) {
        std::atomic<int64_t>& next = counters[ib].next;
        if (next.load(std::memory_order_relaxed) >= npan - leave) return;
        int64_t jr = next.fetch_add(1, std::memory_order_relaxed);
        if (jr >= npan) return;
        const int64_t p0 = ib * bl.row_panels / bl.row_blocks;
        const int64_t p1 = (ib + 1) * bl.row_panels / bl.row_blocks;
        const int64_t ic = p0 * MR, mcur = std::min(P.m, p1 * MR) - ic;
        if (!bl.a_in_place) uk.pack_a(mcur, kc, P.a + ic * P.rsa + pc * P.csa, P.rsa, P.csa, abuf);
        for (; jr < npan; jr = next.fetch_add(1, std::memory_order_relaxed)) {
          const int64_t ncur = std::min<int64_t>(NR, nc - jr * NR);
          const bool direct = jr < inplace;
          const T* bp = direct ? bpc + jr * NR : bl.b_in_place ? bbuf : bbuf + jr * NR * kc;
          const int64_t ldb = direct ? P.rsb : NR;
          for (int64_t ir = 0; ir < mcur; ir += MR) {
            const int64_t mcr = std::min<int64_t>(MR, mcur - ir);
            T* cp = P.c + (ic + ir) * P.rsc + (jc + jr * NR) * P.csc;
            const T* ap = bl.a_in_place ? P.a + (ic + ir) * P.rsa + pc : abuf + ir * kc;
            // The next tile's C rows: fetched during this call, used by the next.
            if (ir + MR < mcur)
              for (int i = 0; i < MR; ++i) __builtin_prefetch(cp + (MR + i) * P.rsc, 1, 3);
            // C tile (+)= the A rows' panel (packed or in place) @ the B micro-panel.
            auto kernel = [&](T* c, int64_t rsc, T alpha, T b0) {
              if (bl.a_in_place) return uk.kernel_rows[mcr - 1](kc, ap, P.rsa, bp, ldb, c, rsc, alpha, b0);
              uk.kernel[mcr - 1](kc, ap, bp, ldb, c, rsc, alpha, b0);
            };
            if (ncur == NR && P.csc == 1) {
              kernel(cp, P.rsc, P.alpha, beta);
            } else {
              kernel(tmp, NR, T(1), T(0));
              for (int64_t i = 0; i < mcr; ++i)
                for (int64_t j = 0; j < ncur; ++j) {
                  T& x = cp[i * P.rsc + j * P.csc];
                  x = beta == T(0) ? P.alpha * tmp[i * NR + j]
                                   : P.alpha * tmp[i * NR + j] + beta * x;
                }
            }
          }
        }
      };
      for (int64_t ib = tid; ib < bl.row_blocks; ib += nt) run_block(ib, 0);
      // Then the others' blocks, last first: their owners reach those last.
      // Packing an A block costs about two micro-panels of compute (mc*kc
      // values copied against 2*mc*nr*kc FLOPs), so taking over the last two
      // of a block would finish later than leaving them to the owner. A
      // block whose owner is not in the team (a smaller team than asked)
      // is taken whole.
      const int team_size = team ? omp_get_num_threads() : 1;
      for (int64_t ib = bl.row_blocks - 1; ib >= 0; --ib)
        if (ib % nt != tid) run_block(ib, ib % nt < team_size ? 2 : 0);
      if (team) {
#pragma omp barrier
      }
    }
  }
}

// Threads worth using: one per g_parallel_flops of work, none in a region.
int threads_for(int64_t m, int64_t n, int64_t k) {
  if (in_parallel_region()) return 1;
  const double flops = 2.0 * double(m) * double(n) * double(k);
  const double per = double(std::max<int64_t>(1, g_parallel_flops.load(std::memory_order_relaxed)));
  return static_cast<int>(std::clamp<double>(flops / per, 1, get_num_threads()));
}

template <class T>
bool gemm_packed(const MicroKernel<T>& uk, const Problem<T>& P) {
  const int nt = threads_for(P.m, P.n, P.k);
  const Blocking bl =
      blocking_for(uk.mr, uk.nr, uk.mc, uk.kc, uk.nc, P.m, P.n, P.k, nt, P.csb == 1,
                   P.rsb * int64_t(sizeof(T)), sizeof(T), P.csa == 1 && uk.kernel_rows[0] != nullptr);
  // B panel (shared) then one A block per thread, each 64-byte aligned;
  // pack_a may write kPackSlack values past its panels.
  const int64_t bsize = round_up(bl.kc * bl.nc, 16);
  const int64_t asize = round_up(bl.mc_max * bl.kc + gemm_detail::kPackSlack, 16);
  // The counters sit after the buffers, on their own cache lines.
  const size_t buf_bytes = round_up(sizeof(T) * (bsize + nt * asize), 64);
  char* raw = static_cast<char*>(
      tls_workspace.get(buf_bytes + sizeof(PanelCounter) * size_t(bl.row_blocks)));
  if (!raw) {
    if (in_parallel_region()) return false;  // the caller falls back; never throw here
    throw std::bad_alloc();
  }
  T* buf = reinterpret_cast<T*>(raw);
  PanelCounter* counters = new (raw + buf_bytes) PanelCounter[bl.row_blocks];
  if (nt == 1) {
    packed_thread(uk, P, bl, buf, buf + bsize, counters, 0, 1);
    return true;
  }
#pragma omp parallel num_threads(nt)
  {
    const int tid = omp_get_thread_num();
    packed_thread(uk, P, bl, buf, buf + bsize + tid * asize, counters, tid, nt);
  }
  return true;
}

// A C at most one register wide (n <= kNarrowN: 8 float32 columns) uses
// each value of A only n times, so the packed path's copy of A (or of A^T,
// the B operand of C^T) moves as many bytes as the product reads. The narrow
// kernel reads a row-major A in place against B packed once (k x 8 values,
// in L1 for k up to 1024); threads take whole row tiles.
template <class T>
bool gemm_narrow(const MicroKernel<T>& uk, const Problem<T>& P) {
  constexpr int W = gemm_detail::kNarrowN<T>;
  T* bp = static_cast<T*>(tls_workspace.get(sizeof(T) * round_up(P.k * W, 16)));
  if (!bp) return false;
  gemm_detail::pack_b_generic<T, W>(P.k, P.n, P.b, P.rsb, P.csb, bp);
  const int64_t tile = uk.narrow_mr;
  const int64_t grain = std::max<int64_t>(1, g_parallel_flops.load() / (2 * tile * W * P.k));
  parallel_for(0, ceil_div(P.m, tile), grain, [&](int64_t t0, int64_t t1) {
    const int64_t i0 = t0 * tile, i1 = std::min(P.m, t1 * tile);
    uk.narrow(i1 - i0, P.k, P.a + i0 * P.rsa, P.rsa, bp, P.c + i0 * P.rsc, P.rsc, P.csc, P.n,
              P.alpha, P.beta);
  });
  return true;
}

// ------------------------------------------------------- matrix x vector

// sum_p x[p] y[p] over contiguous vectors, in 16 independent partial sums
// (one running sum would wait on the adder's latency at every step).
template <class T>
T dot_contiguous(int64_t k, const T* x, const T* y) {
  constexpr int kLanes = 16;
  T acc[kLanes] = {};
  int64_t p = 0;
  for (; p + kLanes <= k; p += kLanes)
    for (int w = 0; w < kLanes; ++w) acc[w] += x[p + w] * y[p + w];
  T s = 0;
  for (int w = 0; w < kLanes; ++w) s += acc[w];
  for (; p < k; ++p) s += x[p] * y[p];
  return s;
}

// y = alpha * M @ x + beta * y, M rows x cols with strides (rsm, csm).
// Row-contiguous (or general) M: one dot product per row. Column-contiguous
// M: axpy over its columns, 256 rows at a time in a local accumulator. Each
// y element is summed in one fixed order, whatever the thread split.
template <class T>
void gemv(int64_t rows, int64_t cols, T alpha, const T* mat, int64_t rsm, int64_t csm,
          const T* x, int64_t incx, T beta, T* y, int64_t incy) {
  auto store = [&](int64_t i, T s) {
    T& yi = y[i * incy];
    yi = beta == T(0) ? alpha * s : alpha * s + beta * yi;
  };
  const int64_t flops_per_row = 2 * std::max<int64_t>(cols, 1);
  const int64_t grain = std::max<int64_t>(1, g_parallel_flops.load() / flops_per_row);
  if (rsm == 1 && csm != 1) {
    constexpr int64_t kBlock = 256;
    parallel_for(0, ceil_div(rows, kBlock), std::max<int64_t>(1, grain / kBlock),
                 [&](int64_t b0, int64_t b1) {
      T acc[kBlock];
      for (int64_t blk = b0; blk < b1; ++blk) {
        const int64_t i0 = blk * kBlock, len = std::min(kBlock, rows - i0);
        std::fill(acc, acc + len, T(0));
        for (int64_t p = 0; p < cols; ++p) {
          const T xp = x[p * incx];
          const T* col = mat + i0 + p * csm;
          for (int64_t i = 0; i < len; ++i) acc[i] += xp * col[i];
        }
        for (int64_t i = 0; i < len; ++i) store(i0 + i, acc[i]);
      }
    });
    return;
  }
  parallel_for(0, rows, grain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const T* row = mat + i * rsm;
      T s = 0;
      if (csm == 1 && incx == 1) {
        s = dot_contiguous(cols, row, x);
      } else {
        for (int64_t p = 0; p < cols; ++p) s += row[p * csm] * x[p * incx];
      }
      store(i, s);
    }
  });
}

}  // namespace

// ------------------------------------------------------------- public entry

bool cpu_supports_avx2_fma() {
  static const bool supported = kHaveAvx2Code && host_has_avx2_fma();
  return supported;
}

bool cpu_supports_avx512() {
  static const bool supported = kHaveAvx2Code && host_has_avx512();
  return supported;
}

void set_gemm_kernel(GemmKernel choice) {
  g_choice.store(static_cast<int>(choice), std::memory_order_relaxed);
}

const char* gemm_kernel_name() {
  switch (current_kernel()) {
    case GemmKernel::Avx512: return "avx512";
    case GemmKernel::Avx2: return "avx2";
    default: return "portable";
  }
}

void set_gemm_blocking(int64_t mc, int64_t kc, int64_t nc) {
  g_mc = std::max<int64_t>(mc, 0);
  g_kc = std::max<int64_t>(kc, 0);
  g_nc = std::max<int64_t>(nc, 0);
}

int64_t gemm_parallel_threshold() { return g_parallel_flops.load(); }
void set_gemm_parallel_threshold(int64_t flops) { g_parallel_flops.store(flops); }

template <class T>
void gemm(int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t rsa, int64_t csa,
          const T* b, int64_t rsb, int64_t csb, T beta, T* c, int64_t rsc, int64_t csc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == T(0)) return scale_c(m, n, beta, c, rsc, csc);
  if (n == 1) return gemv(m, k, alpha, a, rsa, csa, b, rsb, beta, c, rsc);
  // A row of C is a column of C^T = B^T A^T.
  if (m == 1) return gemv(n, k, alpha, b, csb, rsb, a, csa, beta, c, csc);
  // A column-major C is the row-major C^T = B^T A^T: the kernel stores rows.
  if (csc != 1 && rsc == 1)
    return gemm(n, m, k, alpha, b, csb, rsb, a, csa, rsa, beta, c, csc, rsc);
  GemmKernel which = current_kernel();
  // A C of fewer than 768 values fills too little of the AVX-512 kernel's
  // 12 x 32 tile (and its partial panels pack value by value): float32 on
  // Zen 5, AVX2's 6 x 16 is 1.3-2.4x faster on 9x676x16 (conv1's weight
  // gradient, per sample), 9x676x31, 20x676x20 and 24x676x24, slower on
  // 31x676x31.
  if (which == GemmKernel::Avx512 && m * n < 768) which = GemmKernel::Avx2;
  const MicroKernel<T>& uk = select_kernel<T>(which);
  // The narrow kernel is AVX2's (one 256-bit register of C per row), also
  // under the AVX-512 kernels.
  const MicroKernel<T>& nk = which == GemmKernel::Avx512 ? select_kernel<T>(GemmKernel::Avx2) : uk;
  bool done;
  // Row-major A only: a column-major A would put each k step of a tile on
  // its own cache line, and the next tile back on the same lines after L1
  // has dropped them (512x512x3 with A^T measured 25% slower than C^T).
  if (nk.narrow && n <= gemm_detail::kNarrowN<T> && csa == 1) {
    done = gemm_narrow(nk, Problem<T>{m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc});
  } else if (n < uk.nr && m > n) {
    // A C narrower than the micro-tile (a classifier head: n = 10 < nr = 16)
    // wastes (nr - n) / nr of every kernel call; as C^T = B^T A^T its n rows
    // fill mr-row tiles instead. Packed directly: gemm() would transpose back.
    done = gemm_packed(uk, Problem<T>{n, m, k, alpha, b, csb, rsb, a, csa, rsa, beta, c, csc, rsc});
  } else {
    done = gemm_packed(uk, Problem<T>{m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc});
  }
  if (!done) gemm_reference(m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc);
}

namespace {

// The kernel gemm_taps runs for an m x n C: the one gemm would pick (AVX2's
// for a C of fewer than 768 values under AVX-512, as there).
template <class T>
const MicroKernel<T>& taps_kernel(int64_t m, int64_t n) {
  GemmKernel which = current_kernel();
  if (which == GemmKernel::Avx512 && m * n < 768) which = GemmKernel::Avx2;
  return select_kernel<T>(which);
}

}  // namespace

template <class T>
bool gemm_taps_available() {
  if constexpr (std::is_same_v<T, int64_t>) {
    return false;
  } else {
    return taps_kernel<T>(1, 1).kernel_taps[0] != nullptr &&
           taps_kernel<T>(1 << 20, 1).kernel_taps[0] != nullptr;
  }
}

// B is packed once into nr-column panels (k x nr each, in L2 for the k of a
// conv tile) and every row tile runs against each panel; k is not blocked
// (the caller's tiles keep it to a few hundred). Threads take row tiles.
template <class T>
bool gemm_taps(int64_t m, int64_t n, int64_t runs, int64_t run, int64_t jump, const T* x,
               const int64_t* goff, const T* b, int64_t rsb, int64_t csb, T beta, T* c,
               int64_t rsc) {
  if (!gemm_taps_available<T>() || m % gemm_detail::kTaps != 0) return false;
  const int64_t k = runs * run;
  if (m <= 0 || n <= 0) return true;
  if (k <= 0) {
    scale_c(m, n, beta, c, rsc, int64_t(1));
    return true;
  }
  const MicroKernel<T>& uk = taps_kernel<T>(m, n);
  const int MR = uk.mr, NR = uk.nr;
  const int64_t npan = ceil_div(n, NR), tiles = ceil_div(m, MR);
  T* bp = static_cast<T*>(tls_workspace.get(sizeof(T) * size_t(round_up(npan * NR * k, 16))));
  if (!bp) return false;
  uk.pack_b(k, n, b, rsb, csb, bp);
  const int64_t grain = std::max<int64_t>(1, g_parallel_flops.load() / (2 * MR * NR * k));
  parallel_for(0, tiles * npan, grain, [&](int64_t u0, int64_t u1) {
    alignas(64) T tmp[gemm_detail::kMaxMR * gemm_detail::kMaxNR<T>];  // a partial panel's tile
    const T* base[gemm_detail::kMaxMR / gemm_detail::kTaps];
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t jr = u / tiles, ir = (u % tiles) * MR;
      const int64_t rows = std::min<int64_t>(MR, m - ir), ncur = std::min<int64_t>(NR, n - jr * NR);
      for (int64_t g = 0; g < rows / gemm_detail::kTaps; ++g)
        base[g] = x + goff[ir / gemm_detail::kTaps + g];
      const auto kernel = uk.kernel_taps[rows / gemm_detail::kTaps - 1];
      T* cp = c + ir * rsc + jr * NR;
      if (ncur == NR) {
        kernel(runs, run, jump, base, bp + jr * NR * k, NR, cp, rsc, T(1), beta);
        continue;
      }
      kernel(runs, run, jump, base, bp + jr * NR * k, NR, tmp, NR, T(1), T(0));
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < ncur; ++j)
          cp[i * rsc + j] = beta == T(0) ? tmp[i * NR + j] : tmp[i * NR + j] + cp[i * rsc + j];
    }
  });
  return true;
}

template <class T>
void gemm_reference(int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t rsa,
                    int64_t csa, const T* b, int64_t rsb, int64_t csb, T beta, T* c,
                    int64_t rsc, int64_t csc) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      Acc s = 0;
      for (int64_t p = 0; p < k; ++p) s += Acc(a[i * rsa + p * csa]) * Acc(b[p * rsb + j * csb]);
      T& x = c[i * rsc + j * csc];
      x = beta == T(0) ? T(alpha * s) : T(alpha * s + beta * Acc(x));
    }
}

#define DC_INSTANTIATE_GEMM(T)                                                                 \
  template void gemm<T>(int64_t, int64_t, int64_t, T, const T*, int64_t, int64_t, const T*,    \
                        int64_t, int64_t, T, T*, int64_t, int64_t);                            \
  template void gemm_reference<T>(int64_t, int64_t, int64_t, T, const T*, int64_t, int64_t,    \
                                  const T*, int64_t, int64_t, T, T*, int64_t, int64_t);      \
  template bool gemm_taps<T>(int64_t, int64_t, int64_t, int64_t, int64_t, const T*,           \
                             const int64_t*, const T*, int64_t, int64_t, T, T*, int64_t);     \
  template bool gemm_taps_available<T>();
DC_INSTANTIATE_GEMM(float)
DC_INSTANTIATE_GEMM(double)
DC_INSTANTIATE_GEMM(int64_t)
#undef DC_INSTANTIATE_GEMM

}  // namespace dc::cpu
