#include "core/threads.h"
#include <omp.h>

namespace dc {

namespace {
int g_num_threads = 0;  // 0: not set yet, use OpenMP's default
}

int get_num_threads() {
  if (g_num_threads == 0) g_num_threads = omp_get_max_threads();
  return g_num_threads;
}

void set_num_threads(int n) { g_num_threads = n; }

bool in_parallel_region() { return omp_in_parallel() != 0; }

namespace detail {
void run_parallel(int64_t begin, int64_t end, int64_t grain, void* ctx,
                  void (*body)(void*, int64_t, int64_t)) {
  int64_t max_chunks = (end - begin + grain - 1) / grain;
  int nthreads = static_cast<int>(std::min<int64_t>(get_num_threads(), max_chunks));
#pragma omp parallel num_threads(nthreads)
  {
    int t = omp_get_thread_num();
    int nt = omp_get_num_threads();
    int64_t chunk = (end - begin + nt - 1) / nt;
    int64_t b = begin + t * chunk;
    int64_t e = std::min(end, b + chunk);
    if (b < e) body(ctx, b, e);
  }
}
}  // namespace detail

}  // namespace dc
