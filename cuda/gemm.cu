// General matrix multiply on the GPU: C = alpha * A @ B + beta * C, A m x k,
// B k x n, C m x n, each in any strides (the contract of cpu::gemm).
//
// FLOPs: 2mnk. Bytes at the least: (mk + kn + mn) * sizeof(T), plus mn more
// when beta != 0. At n = 4096 float32 that is 137 GFLOP against 200 MB: on an
// H100 SXM (67 TFLOP/s float32 SIMT, ~495 TFLOP/s TF32 tensor cores, 3.35 TB/s)
// the product is compute bound by a factor of ~30, so the kernel's job is to
// keep the FMA units fed from registers, and global and shared memory traffic
// must stay under what the tiles below allow.
//
// SIMT kernel (float32, float64, int64): a block of 256 threads owns a
// BM x BN tile of C and walks k in steps of BK. Per k-tile it reads
// (BM + BN) * BK elements from global memory and does 2 * BM * BN * BK FLOPs:
// arithmetic intensity 2 * BM * BN / (BM + BN) FLOP per element read, 128 for
// the float tile 128 x 128 x 8 (32 FLOP/byte, L2-friendly), 64 for the
// float64/int64 tile 64 x 64 x 8 (8 FLOP/byte). Each thread holds a TM x TN
// = 8 x 8 (float) or 4 x 4 (8-byte types) block of C in registers; per k step
// it reads TM + TN values from shared memory as 16-byte vectors and does
// TM * TN FMAs (4 FMAs per shared word loaded at 8 x 8). A thread's rows are
// two runs of 4 (or 2) spaced BM / 2 apart, and a warp covers 4 x 8 threads,
// so the vector reads of a warp touch 4 (A) and 8 (B) distinct addresses:
// no bank conflicts. Tiles are stored k-major ([BK][BM + pad] and [BK][BN + pad]).
//
// Loads: an operand is read as a k x i matrix (i = m for A, n for B) in one
// of three layouts chosen at run time and compiled as template parameters:
// unit stride along i (column-major A, row-major B), unit stride along k
// (row-major A, column-major B), or neither (general strides, scalar loads).
// With a unit stride, 16-byte vector loads when the other stride and the
// pointer are 16-byte aligned; edge tiles load zeros past m, n and k
// (predicated), so any shape is correct. Double buffering: the next k-tile is
// read into registers while the current one is multiplied from shared
// memory, then stored into the other shared buffer; one __syncthreads per
// k-tile. Blocks are numbered in groups of 8 tile rows (tile swizzle) so that
// blocks running at the same time share A and B tiles in L2.
//
// TF32 kernel (float32 when set_allow_tf32(true), sm_80+): the same loads,
// 128 x 128 x 16 block tile, 4 warps of 64 x 64 each (the tile CUTLASS's
// sm_80 TF32 GEMMs use, without their multistage cp.async), mma.sync.m16n8k8 TF32
// tensor-core instructions (inputs rounded to TF32, 10-bit mantissa, when
// stored to shared memory; float32 accumulate). Shared rows are padded to 136
// floats so that the fragment reads (4 k-rows x 8 consecutive m or n per
// warp) fall in 32 distinct banks; a k-contiguous operand is then loaded one
// row per thread (consecutive threads, consecutive rows) so that its
// transposing stores do not conflict either. Expected error ~1e-3 relative, as
// PyTorch's allow_tf32.
//
// Split-K: a product with too few tiles to fill the GPU and a long k (the
// weight gradients of convolutions and linear layers: m x n small, k = batch
// x pixels) splits k into S slices run as a batch (grid y) into an S x m x n
// float workspace, summed in a fixed order by a second kernel that applies
// alpha and beta: deterministic, and S times the parallelism for S m n extra
// bytes written and read.
//
// Epilogue: C = alpha * acc + beta * C, C not read when beta == 0; vector
// stores when C is row-major and aligned. alpha == 0 skips the product (C =
// beta * C, A and B not read, as cpu::gemm).
//
// References: V. Volkov and J. Demmel, "Benchmarking GPUs to tune dense
// linear algebra" (SC08); CUTLASS's "Efficient GEMM in CUDA" (threadblock,
// warp and thread tiles); S. Boehm, "How to optimize a CUDA matmul kernel for
// cuBLAS-like performance" (2022); PTX ISA, "Matrix fragments for mma.m16n8k8"
// (tf32). Checked against float64 products by tests/test_cuda_gemm.py (every
// tile edge, layout and split) and by bench/matmul.py --device cuda before it
// times the kernels against cuBLAS.
#include "gemm.h"
#include <cuda_runtime.h>
#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <type_traits>
#include "common.cuh"
#include "core/errors.h"

namespace dc::cuda {

namespace {

constexpr int kGemmThreads = 256;
// CUDA's limit on gridDim.y: larger batches are launched in chunks.
constexpr int64_t kMaxBatchPerLaunch = 65535;

// Where an operand, read as a k x i matrix, has its unit stride.
enum class Lay : int { I, K, S };
template <Lay L>
using LayC = std::integral_constant<Lay, L>;

template <class T>
struct Vec16;
template <>
struct Vec16<float> { using type = float4; };
template <>
struct Vec16<double> { using type = double2; };
template <>
struct Vec16<int64_t> { using type = longlong2; };

template <class T>
struct Params {
  int64_t m, n, k;
  int64_t k_last;  // k of the last product of the grid (split-K: a shorter last slice)
  T alpha, beta;
  const T* a;
  int64_t sa, ska, sia;  // batch stride, stride along k, along m
  const T* b;
  int64_t sb, skb, sib;  // batch stride, stride along k, along n
  T* c;
  int64_t sc, rsc, csc;
  bool veca, vecb, vecc;  // 16-byte vector access is allowed
  int64_t tiles_m, tiles_n;
};

// The (tile row, tile column) of this block: groups of 8 tile rows, column by
// column within a group, so neighbouring blocks share tiles of A and of B.
struct Tile {
  int64_t tm, tn;
};
__device__ inline Tile tile_of_block(int64_t tiles_m, int64_t tiles_n) {
  constexpr int64_t kGroup = 8;
  const int64_t id = blockIdx.x, per_group = kGroup * tiles_n;
  const int64_t first = id / per_group * kGroup;
  const int64_t rows = tiles_m - first < kGroup ? tiles_m - first : kGroup;
  const int64_t r = id % per_group;
  return {first + r % rows, r / rows};
}

__device__ inline float to_tf32(float x) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  uint32_t u;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(u) : "f"(x));
  return __uint_as_float(u);
#else
  return x;
#endif
}

// One thread's share of a BK x BI operand tile, read from global memory into
// registers (load) and written to shared memory as [BK][LD] (store).
// p points at the tile's (k, i) = (0, 0) element; k_left and i_left are the
// operand's extents from there (elements past them read as 0). The unit
// stride of layouts I and K is 1 by construction (see describe()).
// kFirst (layout K only): consecutive threads take the vectors of one row
// (i) before the next row, so a warp reads whole 32-byte sectors; else they
// take consecutive rows (the transposing shared stores then never conflict
// whatever LD is).
template <class T, int NT, int BK, int BI, int LD, Lay L, bool kFirst>
struct TileLoader {
  static constexpr int kVec = 16 / sizeof(T);
  static constexpr int kElems = BK * BI / NT;
  static constexpr int kVecs = kElems / kVec;
  static_assert(kVecs * kVec == kElems && BI % kVec == 0 && BK % kVec == 0 && LD % kVec == 0,
                "tile shape must split into 16-byte vectors");
  using V = typename Vec16<T>::type;
  alignas(16) T r[kElems];

  // Coordinates of vector v (layouts I, K) or element v (layout S).
  __device__ static void coords(int v, int& k, int& i) {
    const int idx = static_cast<int>(threadIdx.x) + v * NT;
    if constexpr (L == Lay::I) {
      k = idx / (BI / kVec);
      i = idx % (BI / kVec) * kVec;
    } else if constexpr (L == Lay::K && kFirst) {
      i = idx / (BK / kVec);
      k = idx % (BK / kVec) * kVec;
    } else if constexpr (L == Lay::K) {
      i = idx % BI;
      k = idx / BI * kVec;
    } else {
      i = idx % BI;
      k = idx / BI;
    }
  }

  __device__ void load(const T* __restrict__ p, int64_t sk, int64_t si, int64_t k_left,
                       int64_t i_left, bool vec) {
    if constexpr (L == Lay::S) {
#pragma unroll
      for (int e = 0; e < kElems; ++e) {
        int k, i;
        coords(e, k, i);
        r[e] = k < k_left && i < i_left ? p[k * sk + i * si] : T(0);
      }
    } else {
#pragma unroll
      for (int v = 0; v < kVecs; ++v) {
        int k, i;
        coords(v, k, i);
        const T* q = p + k * sk + i * si;
        // The run of kVec elements goes along i (layout I) or k (layout K).
        const bool ok = L == Lay::I ? k < k_left : i < i_left;
        const int64_t run = L == Lay::I ? i_left - i : k_left - k;
        if (vec && ok && run >= kVec) {
          *reinterpret_cast<V*>(&r[v * kVec]) = __ldg(reinterpret_cast<const V*>(q));
        } else {
#pragma unroll
          for (int j = 0; j < kVec; ++j) r[v * kVec + j] = ok && j < run ? q[j] : T(0);
        }
      }
    }
  }

  template <bool kTf32>
  __device__ void store(T* s) const {
    auto cv = [](T x) -> T {
      if constexpr (kTf32) return to_tf32(x);
      return x;
    };
    if constexpr (L == Lay::S) {
#pragma unroll
      for (int e = 0; e < kElems; ++e) {
        int k, i;
        coords(e, k, i);
        s[k * LD + i] = cv(r[e]);
      }
    } else {
#pragma unroll
      for (int v = 0; v < kVecs; ++v) {
        int k, i;
        coords(v, k, i);
        if constexpr (L == Lay::I) {
          alignas(16) T t[kVec];
#pragma unroll
          for (int j = 0; j < kVec; ++j) t[j] = cv(r[v * kVec + j]);
          *reinterpret_cast<V*>(&s[k * LD + i]) = *reinterpret_cast<const V*>(t);
        } else {
#pragma unroll
          for (int j = 0; j < kVec; ++j) s[(k + j) * LD + i] = cv(r[v * kVec + j]);
        }
      }
    }
  }
};

// Writes n consecutive results of one row: q[j * csc] = alpha * v[j] + beta *
// q[j * csc] for j < left; vec: csc == 1 and q aligned to N elements.
template <class T, int N>
__device__ inline void store_run(T* q, const T* v, int64_t left, int64_t csc, T alpha, T beta,
                                 bool vec) {
  struct alignas(N * sizeof(T)) Run {
    T x[N];
  };
  if (vec && left >= N) {
    Run out;
    if (beta != T(0)) {
      const Run old = *reinterpret_cast<const Run*>(q);
#pragma unroll
      for (int j = 0; j < N; ++j) out.x[j] = alpha * v[j] + beta * old.x[j];
    } else {
#pragma unroll
      for (int j = 0; j < N; ++j) out.x[j] = alpha * v[j];
    }
    *reinterpret_cast<Run*>(q) = out;
  } else {
#pragma unroll
    for (int j = 0; j < N; ++j) {
      if (j < left) {
        T& d = q[j * csc];
        d = beta != T(0) ? alpha * v[j] + beta * d : alpha * v[j];
      }
    }
  }
}

// The SIMT kernel (see the top of the file). 256 threads as a 16 x 16 grid
// of TM x TN register tiles; warp w covers thread rows 4 (w / 2) .. + 3 and
// columns 8 (w % 2) .. + 7. Shared rows are padded by one vector: with
// layout K's row-by-row loads, the transposing stores of a warp then fall in
// distinct banks (float: rows i .. i + 15 times two k-halves 16 banks apart).
// float asks for one block per SM (~150 registers: at the 128 of two blocks
// ptxas spills), the 4 x 4 tiles of 8-byte types fit two.
template <class T, int BM, int BN, int BK, int TM, int TN, Lay LA, Lay LB>
__global__ void __launch_bounds__(kGemmThreads, sizeof(T) == 4 ? 1 : 2)
    gemm_simt(const Params<T> p) {
  static_assert(BM / TM == 16 && BN / TN == 16, "16 x 16 threads");
  constexpr int kVec = 16 / sizeof(T);
  constexpr int RC = TM / kVec, CC = TN / kVec;  // vector runs per thread
  constexpr int LDA = BM + kVec, LDB = BN + kVec;
  using V = typename Vec16<T>::type;
  __shared__ __align__(16) T As[2][BK][LDA];
  __shared__ __align__(16) T Bs[2][BK][LDB];

  const Tile tile = tile_of_block(p.tiles_m, p.tiles_n);
  const int64_t z = blockIdx.y, m0 = tile.tm * BM, n0 = tile.tn * BN;
  const int64_t ml = p.m - m0, nl = p.n - n0;
  const int64_t kz = z == gridDim.y - 1 ? p.k_last : p.k;
  const T* a = p.a + z * p.sa + m0 * p.sia;
  const T* b = p.b + z * p.sb + n0 * p.sib;
  const int w = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int ty = w / 2 * 4 + lane / 8, tx = w % 2 * 8 + lane % 8;

  TileLoader<T, kGemmThreads, BK, BM, LDA, LA, true> la;
  TileLoader<T, kGemmThreads, BK, BN, LDB, LB, true> lb;
  la.load(a, p.ska, p.sia, kz, ml, p.veca);
  lb.load(b, p.skb, p.sib, kz, nl, p.vecb);
  la.template store<false>(&As[0][0][0]);
  lb.template store<false>(&Bs[0][0][0]);
  __syncthreads();

  T acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i)
#pragma unroll
    for (int j = 0; j < TN; ++j) acc[i][j] = T(0);

  // k_left: the k extent from the next tile on; a and b advance with it.
  int64_t k_left = kz - BK;
  const int64_t a_step = BK * p.ska, b_step = BK * p.skb;
  for (int cur = 0;; cur ^= 1) {
    const bool next = k_left > 0;
    if (next) {  // the next k-tile, into registers while this one is used
      a += a_step;
      b += b_step;
      la.load(a, p.ska, p.sia, k_left, ml, p.veca);
      lb.load(b, p.skb, p.sib, k_left, nl, p.vecb);
    }
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
      alignas(16) T af[TM];
      alignas(16) T bf[TN];
#pragma unroll
      for (int c = 0; c < RC; ++c)
        *reinterpret_cast<V*>(&af[c * kVec]) =
            *reinterpret_cast<const V*>(&As[cur][kk][c * (BM / RC) + ty * kVec]);
#pragma unroll
      for (int c = 0; c < CC; ++c)
        *reinterpret_cast<V*>(&bf[c * kVec]) =
            *reinterpret_cast<const V*>(&Bs[cur][kk][c * (BN / CC) + tx * kVec]);
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] += af[i] * bf[j];
    }
    if (!next) break;
    la.template store<false>(&As[cur ^ 1][0][0]);
    lb.template store<false>(&Bs[cur ^ 1][0][0]);
    k_left -= BK;
    __syncthreads();
  }

  T* c = p.c + z * p.sc;
#pragma unroll
  for (int rc = 0; rc < RC; ++rc) {
#pragma unroll
    for (int r = 0; r < kVec; ++r) {
      const int64_t row = m0 + rc * (BM / RC) + ty * kVec + r;
      if (row >= p.m) continue;
#pragma unroll
      for (int cc = 0; cc < CC; ++cc) {
        const int64_t col = n0 + cc * (BN / CC) + tx * kVec;
        store_run<T, kVec>(c + row * p.rsc + col * p.csc, &acc[rc * kVec + r][cc * kVec],
                           p.n - col, p.csc, p.alpha, p.beta, p.vecc);
      }
    }
  }
}

// The TF32 tensor-core kernel's tile: WARPS_M x WARPS_N warps, each owning
// MT x NT8 mma tiles of 16 x 8 (a 16 MT x 8 NT8 warp tile).
struct Tf32Tile {
  static constexpr int WARPS_M = 2, WARPS_N = 2, MT = 4, NT8 = 8;
  static constexpr int kThreads = 32 * WARPS_M * WARPS_N;
  static constexpr int BM = WARPS_M * MT * 16, BN = WARPS_N * NT8 * 8, BK = 16;
};

// The TF32 tensor-core kernel (float32, sm_80+; see the top of the file).
// Warp w owns rows 64 (w / 2) .. + 63 and columns 64 (w % 2) .. + 63 of the
// 128 x 128 block tile: 4 x 8 mma tiles of 16 x 8. Per k step of 8 a warp
// reads 4 KB of fragments from shared memory for 32 mma (64 KFLOP): the
// shared-memory bandwidth (128 B/clock/SM) keeps pace with the tensor cores
// (~2 KFLOP/clock/SM TF32 on H100); a 64 x 32 warp tile would read 3 KB per
// 16 mma and be bound by shared memory at ~2/3 of the tensor-core rate.
// Fragment layouts (PTX ISA, lane = 4 g + q): A a0 (g, q), a1 (g + 8, q),
// a2 (g, q + 4), a3 (g + 8, q + 4); B b0 (k = q, n = g), b1 (q + 4, g);
// C c0 (g, 2q), c1 (g, 2q + 1), c2 (g + 8, 2q), c3 (g + 8, 2q + 1).
template <Lay LA, Lay LB>
__global__ void __launch_bounds__(Tf32Tile::kThreads, 2) gemm_tf32(const Params<float> p) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  using Cfg = Tf32Tile;
  constexpr int BM = Cfg::BM, BN = Cfg::BN, BK = Cfg::BK, MT = Cfg::MT, NT8 = Cfg::NT8;
  constexpr int LD = 136;  // 128 + 8: row r starts 8 r banks further
  static_assert(BM + 8 <= LD && BN + 8 <= LD, "padded rows");
  __shared__ __align__(16) float As[2][BK][LD];
  __shared__ __align__(16) float Bs[2][BK][LD];

  const Tile tile = tile_of_block(p.tiles_m, p.tiles_n);
  const int64_t z = blockIdx.y, m0 = tile.tm * BM, n0 = tile.tn * BN;
  const int64_t ml = p.m - m0, nl = p.n - n0;
  const int64_t kz = z == gridDim.y - 1 ? p.k_last : p.k;
  const float* a = p.a + z * p.sa + m0 * p.sia;
  const float* b = p.b + z * p.sb + n0 * p.sib;
  const int w = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, q = lane % 4;
  const int wm = w / Cfg::WARPS_N * (MT * 16), wn = w % Cfg::WARPS_N * (NT8 * 8);

  TileLoader<float, Cfg::kThreads, BK, BM, LD, LA, false> la;
  TileLoader<float, Cfg::kThreads, BK, BN, LD, LB, false> lb;
  la.load(a, p.ska, p.sia, kz, ml, p.veca);
  lb.load(b, p.skb, p.sib, kz, nl, p.vecb);
  la.template store<true>(&As[0][0][0]);
  lb.template store<true>(&Bs[0][0][0]);
  __syncthreads();

  float acc[MT][NT8][4];
#pragma unroll
  for (int i = 0; i < MT; ++i)
#pragma unroll
    for (int j = 0; j < NT8; ++j)
#pragma unroll
      for (int r = 0; r < 4; ++r) acc[i][j][r] = 0.0f;

  int64_t k_left = kz - BK;
  const int64_t a_step = BK * p.ska, b_step = BK * p.skb;
  for (int cur = 0;; cur ^= 1) {
    const bool next = k_left > 0;
    if (next) {
      a += a_step;
      b += b_step;
      la.load(a, p.ska, p.sia, k_left, ml, p.veca);
      lb.load(b, p.skb, p.sib, k_left, nl, p.vecb);
    }
#pragma unroll
    for (int kk = 0; kk < BK; kk += 8) {
      uint32_t af[MT][4], bf[NT8][2];
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        const float* s = &As[cur][kk + q][wm + mt * 16 + g];
        af[mt][0] = __float_as_uint(s[0]);
        af[mt][1] = __float_as_uint(s[8]);
        af[mt][2] = __float_as_uint(s[4 * LD]);
        af[mt][3] = __float_as_uint(s[4 * LD + 8]);
      }
#pragma unroll
      for (int nt = 0; nt < NT8; ++nt) {
        const float* s = &Bs[cur][kk + q][wn + nt * 8 + g];
        bf[nt][0] = __float_as_uint(s[0]);
        bf[nt][1] = __float_as_uint(s[4 * LD]);
      }
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int nt = 0; nt < NT8; ++nt) {
          float* d = acc[mt][nt];
          asm volatile(
              "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
              "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
              : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
              : "r"(af[mt][0]), "r"(af[mt][1]), "r"(af[mt][2]), "r"(af[mt][3]),
                "r"(bf[nt][0]), "r"(bf[nt][1]));
        }
    }
    if (!next) break;
    la.template store<true>(&As[cur ^ 1][0][0]);
    lb.template store<true>(&Bs[cur ^ 1][0][0]);
    k_left -= BK;
    __syncthreads();
  }

  float* c = p.c + z * p.sc;
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int64_t row = m0 + wm + mt * 16 + g + 8 * h;
      if (row >= p.m) continue;
#pragma unroll
      for (int nt = 0; nt < NT8; ++nt) {
        const int64_t col = n0 + wn + nt * 8 + 2 * q;
        store_run<float, 2>(c + row * p.rsc + col * p.csc, &acc[mt][nt][2 * h], p.n - col,
                            p.csc, p.alpha, p.beta, p.vecc);
      }
    }
  }
#endif
}

// Tile shapes of the SIMT kernel per element type.
template <class T>
struct SimtTile {  // 8-byte types: float64, int64
  static constexpr int BM = 64, BN = 64, BK = 8, TM = 4, TN = 4;
};
template <>
struct SimtTile<float> {
  static constexpr int BM = 128, BN = 128, BK = 8, TM = 8, TN = 8;
};

// How the kernels read one operand seen as a kdim x idim matrix with strides
// (sk, si) and batch stride sb: its layout, strides (the unit one set to 1;
// a dim of size <= 1 may take any stride, so it takes the convenient one) and
// whether 16-byte vector loads are allowed.
struct Operand {
  Lay lay;
  int64_t sk, si;
  bool vec;
};

template <class T>
Operand describe(const T* p, int64_t sk, int64_t si, int64_t kdim, int64_t idim, int64_t sb) {
  constexpr int64_t kVec = 16 / sizeof(T);
  if (kdim <= 1) sk = 0;
  if (idim <= 1) si = 0;
  const bool aligned = reinterpret_cast<uintptr_t>(p) % 16 == 0 && sb % kVec == 0;
  const bool k_unit = sk == 1 || kdim <= 1, i_unit = si == 1 || idim <= 1;
  const bool k_vec = k_unit && aligned && si % kVec == 0;
  const bool i_vec = i_unit && aligned && sk % kVec == 0;
  if (k_unit && (k_vec || !i_vec)) return {Lay::K, 1, si, k_vec};
  if (i_unit) return {Lay::I, sk, 1, i_vec};
  return {Lay::S, sk, si, false};
}

// Calls f(LayC<LA>{}, LayC<LB>{}) for the run-time layouts: one kernel
// instantiation per pair.
template <class F>
void with_layouts(Lay la, Lay lb, F&& f) {
  auto second = [&](auto A) {
    switch (lb) {
      case Lay::I: return f(A, LayC<Lay::I>{});
      case Lay::K: return f(A, LayC<Lay::K>{});
      case Lay::S: return f(A, LayC<Lay::S>{});
    }
  };
  switch (la) {
    case Lay::I: return second(LayC<Lay::I>{});
    case Lay::K: return second(LayC<Lay::K>{});
    case Lay::S: return second(LayC<Lay::S>{});
  }
}

std::atomic<bool> g_allow_tf32{false};

// A device attribute of `device`, asked once per device.
template <cudaDeviceAttr kAttr>
int device_attribute(int device) {
  constexpr int kCached = 64;
  static std::atomic<int> cache[kCached];  // 0: not asked yet
  if (device >= 0 && device < kCached) {
    const int v = cache[device].load(std::memory_order_relaxed);
    if (v) return v;
  }
  int v = 0;
  check(cudaDeviceGetAttribute(&v, kAttr, device), "cudaDeviceGetAttribute");
  if (device >= 0 && device < kCached) cache[device].store(v, std::memory_order_relaxed);
  return v;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Split-K slices depths are multiples of this (a whole number of k-tiles of
// both kernels, and 16-byte aligned slice offsets for k-contiguous operands).
constexpr int64_t kSliceAlign = 16;

// How many k slices a single product of `tiles` output tiles should run as
// (1: no split). Only when fewer than half the SMs would have a tile, each
// slice at least 256 deep, about two blocks per SM in all, at most 64 slices
// and 64 MiB of workspace.
template <class T>
int64_t split_count(int64_t m, int64_t n, int64_t k, int64_t tiles, int device) {
  constexpr int64_t kMinSliceDepth = 256, kMaxSplits = 64, kMaxWorkspace = int64_t(64) << 20;
  const int64_t sms = device_attribute<cudaDevAttrMultiProcessorCount>(device);
  if (tiles * 2 > sms || k < 2 * kMinSliceDepth) return 1;
  int64_t splits = ceil_div(2 * sms, tiles);
  splits = std::min(splits, k / kMinSliceDepth);
  splits = std::min(splits, kMaxSplits);
  splits = std::min(splits, kMaxWorkspace / (m * n * static_cast<int64_t>(sizeof(T))));
  return std::max<int64_t>(splits, 1);
}

// c = alpha * (sum of the `splits` m x n partial products in ws) + beta * c,
// summed in slice order (deterministic); c not read when beta == 0.
template <class T>
__global__ void splitk_reduce(const T* __restrict__ ws, int64_t splits, int64_t m, int64_t n,
                              T alpha, T beta, T* c, int64_t rsc, int64_t csc) {
  const int64_t mn = m * n;
  DC_CUDA_LOOP(idx, mn) {
    T sum = ws[idx];
    for (int64_t z = 1; z < splits; ++z) sum += ws[z * mn + idx];
    T& d = c[idx / n * rsc + idx % n * csc];
    d = beta != T(0) ? alpha * sum + beta * d : alpha * sum;
  }
}

template <class T>
void run(int64_t batch, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t sa,
         int64_t rsa, int64_t csa, const T* b, int64_t sb, int64_t rsb, int64_t csb, T beta, T* c,
         int64_t sc, int64_t rsc, int64_t csc) {
  if (batch <= 0 || m <= 0 || n <= 0) return;
  if (alpha == T(0)) k = 0;  // C = beta * C; A and B are not read
  if (k < 0) k = 0;
  constexpr int64_t kVec = 16 / sizeof(T);
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  const cudaStream_t s = stream(device);

  const Operand oa = describe(a, csa, rsa, k, m, sa);
  const Operand ob = describe(b, rsb, csb, k, n, sb);
  if (m == 1) rsc = 0;
  if (n == 1) csc = 1;
  Params<T> p{};
  p.m = m, p.n = n, p.k = k, p.k_last = k, p.alpha = alpha, p.beta = beta;
  p.sa = sa, p.ska = oa.sk, p.sia = oa.si, p.veca = oa.vec;
  p.sb = sb, p.skb = ob.sk, p.sib = ob.si, p.vecb = ob.vec;
  p.sc = sc, p.rsc = rsc, p.csc = csc;
  p.vecc = csc == 1 && rsc % kVec == 0 && sc % kVec == 0 &&
           reinterpret_cast<uintptr_t>(c) % 16 == 0;

  bool tf32 = false;
  if constexpr (std::is_same_v<T, float>)
    tf32 = allow_tf32() && device_attribute<cudaDevAttrComputeCapabilityMajor>(device) >= 8;
  const int64_t bm = tf32 ? Tf32Tile::BM : SimtTile<T>::BM;
  const int64_t bn = tf32 ? Tf32Tile::BN : SimtTile<T>::BN;
  p.tiles_m = ceil_div(m, bm);
  p.tiles_n = ceil_div(n, bn);
  const int64_t tiles = p.tiles_m * p.tiles_n;
  if (tiles > INT_MAX)
    fail<NotImplementedError>("gemm: a ", m, " x ", n, " product has too many tiles for one launch");

  // Grid y: the batch, or the k slices of a split product.
  auto launch = [&](const Params<T>& q, int64_t ny) {
    const dim3 grid(static_cast<unsigned>(tiles), static_cast<unsigned>(ny));
    with_layouts(oa.lay, ob.lay, [&](auto LA, auto LB) {
      constexpr Lay la = decltype(LA)::value, lb = decltype(LB)::value;
      if constexpr (std::is_same_v<T, float>) {
        if (tf32) {
          gemm_tf32<la, lb><<<grid, Tf32Tile::kThreads, 0, s>>>(q);
          return;
        }
      }
      using C = SimtTile<T>;
      gemm_simt<T, C::BM, C::BN, C::BK, C::TM, C::TN, la, lb><<<grid, kGemmThreads, 0, s>>>(q);
    });
    check_launch("gemm");
  };

  const int64_t splits = batch == 1 ? split_count<T>(m, n, k, tiles, device) : 1;
  if (splits > 1) {
    // Slices of depth kc (the last one shorter) as a batch whose operands
    // step kc along k, into a row-major workspace of `slices` m x n products.
    const int64_t kc = ceil_div(ceil_div(k, splits), kSliceAlign) * kSliceAlign;
    const int64_t slices = ceil_div(k, kc);
    Array ws = Array::empty({slices, m, n}, dtype_of<T>::value, Device{DeviceType::CUDA, device});
    Params<T> q = p;
    q.k = kc, q.k_last = k - (slices - 1) * kc, q.alpha = T(1), q.beta = T(0);
    q.sa = kc * oa.sk, q.sb = kc * ob.sk;
    q.c = ws.data<T>(), q.sc = m * n, q.rsc = n, q.csc = 1;
    q.vecc = n % kVec == 0 && reinterpret_cast<uintptr_t>(q.c) % 16 == 0;
    launch(q, slices);
    splitk_reduce<T><<<blocks_for(m * n), kThreads, 0, s>>>(q.c, slices, m, n, alpha, beta, c,
                                                            rsc, csc);
    check_launch("gemm");
    return;
  }
  for (int64_t z0 = 0; z0 < batch; z0 += kMaxBatchPerLaunch) {
    Params<T> q = p;
    q.a = a + z0 * sa;
    q.b = b + z0 * sb;
    q.c = c + z0 * sc;
    launch(q, std::min(batch - z0, kMaxBatchPerLaunch));
  }
}

}  // namespace

template <class T>
void gemm(int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t rsa, int64_t csa,
          const T* b, int64_t rsb, int64_t csb, T beta, T* c, int64_t rsc, int64_t csc) {
  run<T>(1, m, n, k, alpha, a, 0, rsa, csa, b, 0, rsb, csb, beta, c, 0, rsc, csc);
}

template <class T>
void gemm_batched(int64_t batch, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                  int64_t sa, int64_t rsa, int64_t csa, const T* b, int64_t sb, int64_t rsb,
                  int64_t csb, T beta, T* c, int64_t sc, int64_t rsc, int64_t csc) {
  run<T>(batch, m, n, k, alpha, a, sa, rsa, csa, b, sb, rsb, csb, beta, c, sc, rsc, csc);
}

void set_allow_tf32(bool allow) { g_allow_tf32.store(allow, std::memory_order_relaxed); }
bool allow_tf32() { return g_allow_tf32.load(std::memory_order_relaxed); }

#define DC_GEMM_INSTANTIATE(T)                                                                 \
  template void gemm<T>(int64_t, int64_t, int64_t, T, const T*, int64_t, int64_t, const T*,  \
                        int64_t, int64_t, T, T*, int64_t, int64_t);                          \
  template void gemm_batched<T>(int64_t, int64_t, int64_t, int64_t, T, const T*, int64_t,    \
                                int64_t, int64_t, const T*, int64_t, int64_t, int64_t, T, T*, \
                                int64_t, int64_t, int64_t);
DC_GEMM_INSTANTIATE(float)
DC_GEMM_INSTANTIATE(double)
DC_GEMM_INSTANTIATE(int64_t)
#undef DC_GEMM_INSTANTIATE

}  // namespace dc::cuda
