// CUDA kernels for csrc/ops/pool.h: 2-D max and average pooling. Same
// signatures and semantics as csrc/cpu/pool.h, whose PoolGeometry both share.
#pragma once
#include <cstdint>
#include "core/array.h"
#include "ops/pool.h"

namespace dc::cuda {


void max_pool2d_forward(const PoolGeometry& g, const Array& x, const Array& out,
                        const Array& indices);
void max_pool2d_backward(const PoolGeometry& g, const Array& gout, const Array& indices,
                         const Array& gx);
void avg_pool2d_forward(const PoolGeometry& g, const Array& x, const Array& out,
                        bool count_include_pad, int64_t divisor_override);
void avg_pool2d_backward(const PoolGeometry& g, const Array& gout, const Array& gx,
                         bool count_include_pad, int64_t divisor_override);

}  // namespace dc::cuda
