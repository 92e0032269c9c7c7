// Intra-op parallelism: parallel_for splits [begin, end) over the threads of
// an OpenMP team, but only when the range is big enough to pay for waking
// them; tiny ops stay on the calling thread.
#pragma once
#include <cstdint>
#include <algorithm>

namespace dc {

int get_num_threads();
void set_num_threads(int n);  // n >= 1, checked by the binding layer
bool in_parallel_region();

namespace detail {
void run_parallel(int64_t begin, int64_t end, int64_t grain, void* ctx,
                  void (*body)(void*, int64_t, int64_t));
}

// Elements per thread below which an op is not worth splitting.
constexpr int64_t kGrainSize = 32768;

// Calls f(chunk_begin, chunk_end) over disjoint chunks covering [begin, end).
template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, F&& f) {
  if (end <= begin) return;
  if (end - begin <= grain || get_num_threads() == 1 || in_parallel_region()) {
    f(begin, end);
    return;
  }
  detail::run_parallel(begin, end, grain, &f, [](void* ctx, int64_t b, int64_t e) {
    (*static_cast<F*>(ctx))(b, e);
  });
}

}  // namespace dc
