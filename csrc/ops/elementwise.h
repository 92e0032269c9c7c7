// Elementwise ops with numpy broadcasting: arithmetic, math, comparisons,
// logical ops, where, clamp, casts and copies. Each function checks its
// inputs (devices, dtypes, shapes) and then runs a backend kernel.
//
// Dtype rules (PyTorch's, except that float32 and float64 never mix): the
// result type of two operands is the larger of bool < int64 < float32 <
// float64; float32 with float64 raises TypeError. Math functions (exp, log,
// ...) and true division turn bool/int64 into float32.
#pragma once
#include <optional>
#include "core/array.h"

namespace dc {

enum class BinaryOp { Add, Sub, Mul, Div, Pow, Maximum, Minimum, And, Or, Xor };
enum class CompareOp { Eq, Ne, Lt, Le, Gt, Ge };
enum class UnaryOp { Neg, Abs, Exp, Log, Sqrt, Sin, Cos, Tanh, Sigmoid, Relu, Sign, Not,
                     IsNan };

// The dtype two operands compute in; raises TypeError for float32 with float64.
DType promote_types(const char* op, DType a, DType b);
// Raises RuntimeError naming both devices unless they are equal.
void check_same_device(const char* op, const Array& a, const Array& b);

Array add(const Array& a, const Array& b);
Array sub(const Array& a, const Array& b);
Array mul(const Array& a, const Array& b);
Array div(const Array& a, const Array& b);
Array pow(const Array& a, const Array& b);
Array maximum(const Array& a, const Array& b);
Array minimum(const Array& a, const Array& b);
Array bitwise_and(const Array& a, const Array& b);
Array bitwise_or(const Array& a, const Array& b);
Array bitwise_xor(const Array& a, const Array& b);

Array eq(const Array& a, const Array& b);
Array ne(const Array& a, const Array& b);
Array lt(const Array& a, const Array& b);
Array le(const Array& a, const Array& b);
Array gt(const Array& a, const Array& b);
Array ge(const Array& a, const Array& b);

Array neg(const Array& a);
Array abs(const Array& a);
Array exp(const Array& a);
Array log(const Array& a);
Array sqrt(const Array& a);
Array sin(const Array& a);
Array cos(const Array& a);
Array tanh(const Array& a);
Array sigmoid(const Array& a);
Array relu(const Array& a);
Array sign(const Array& a);
Array bitwise_not(const Array& a);  // logical not for bool
Array isnan(const Array& a);

// Bounds are applied in the input's dtype; NaN stays NaN, as PyTorch.
Array clamp(const Array& a, std::optional<double> min, std::optional<double> max);
// cond must be bool; a and b promote; all three broadcast.
Array where(const Array& cond, const Array& a, const Array& b);

// A contiguous copy converted to `dtype` (returns `a` itself when nothing changes
// and `copy` is false).
Array to_dtype(const Array& a, DType dtype, bool copy = false);
// Contiguous array with the same values (`a` itself if already contiguous).
Array contiguous(const Array& a);
// Writes src (broadcast to dst's shape, converted to dst's dtype) into dst.
void copy_(const Array& dst, const Array& src);
void fill_(const Array& dst, double value);

// Shorthand used by other ops: a 0-d array holding `value` as `dtype`.
Array scalar_array(double value, DType dtype, Device device = Device{});

}  // namespace dc
