// cuda/gemm.h for a build without CUDA: the products raise (no GPU pointer
// can exist there), the TF32 switch is kept so that Python code setting
// dc.backends.cuda.matmul.allow_tf32 runs on any build.
#include <atomic>
#include "cuda/gemm.h"
#include "core/errors.h"

namespace dc::cuda {

namespace {
std::atomic<bool> g_allow_tf32{false};
}

template <class T>
void gemm(int64_t, int64_t, int64_t, T, const T*, int64_t, int64_t, const T*, int64_t, int64_t, T,
          T*, int64_t, int64_t) {
  fail("gemm: deepcore was built without CUDA");
}

template <class T>
void gemm_batched(int64_t, int64_t, int64_t, int64_t, T, const T*, int64_t, int64_t, int64_t,
                  const T*, int64_t, int64_t, int64_t, T, T*, int64_t, int64_t, int64_t) {
  fail("gemm: deepcore was built without CUDA");
}

void set_allow_tf32(bool allow) { g_allow_tf32.store(allow); }
bool allow_tf32() { return g_allow_tf32.load(); }

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
