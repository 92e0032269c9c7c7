// Linear algebra ops.
#pragma once
#include "core/array.h"

namespace dc {

// PyTorch's matmul: 1-D x 1-D is a dot product (0-d result); a 1-D first
// operand is a row (1, k) and a 1-D second operand a column (k, 1), the added
// dim removed from the result; N-D operands are stacks of matrices whose batch
// dims broadcast (without copying). dtypes: float32, float64, int64 (int64
// with a float promotes to the float); bool and float32 with float64 raise
// TypeError.
Array matmul(const Array& a, const Array& b);

}  // namespace dc
