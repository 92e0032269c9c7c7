// CPU kernels for csrc/ops/pool.h: 2-D max and average pooling.
#pragma once
#include <cstdint>
#include "core/array.h"
#include "ops/pool.h"

namespace dc::cpu {

// out = the max of each window, indices = its flat position ih*w + iw within
// the plane (int64): the first maximum in row-major window order, and a NaN
// wins (the last one). x, out, indices contiguous.
void max_pool2d_forward(const PoolGeometry& g, const Array& x, const Array& out,
                        const Array& indices);
// gx = 0, then gx[plane, indices] += gout. Indices outside the plane (which
// only hand-made ones can be) are skipped.
void max_pool2d_backward(const PoolGeometry& g, const Array& gout, const Array& indices,
                         const Array& gx);

// The divisor of each window: divisor_override if non-zero, else the window's size
// clipped to the padded plane (count_include_pad) or to the plane itself.
void avg_pool2d_forward(const PoolGeometry& g, const Array& x, const Array& out,
                        bool count_include_pad, int64_t divisor_override);
void avg_pool2d_backward(const PoolGeometry& g, const Array& gout, const Array& gx,
                         bool count_include_pad, int64_t divisor_override);

}  // namespace dc::cpu
