// GPU kernels for csrc/ops/elementwise.h, the contract of cpu/elementwise.h:
// operands are checked, on out's device, broadcastable to `out`, and (except
// copy/compare/where's condition) of out's dtype. Any strides are read and
// written (broadcast operands have stride 0); contiguous operands take a
// vectorised path.
#pragma once
#include <optional>
#include "core/array.h"
#include "ops/elementwise.h"

namespace dc::cuda {

void binary(BinaryOp op, const Array& out, const Array& a, const Array& b);
void compare(CompareOp op, const Array& out, const Array& a, const Array& b);
void unary(UnaryOp op, const Array& out, const Array& a);
void clamp(const Array& out, const Array& a, std::optional<double> lo, std::optional<double> hi);
void where(const Array& out, const Array& cond, const Array& a, const Array& b);
// Converting, broadcasting copy: out[i] = (Out) a[i].
void copy(const Array& out, const Array& a);
void fill(const Array& out, double value);
// out[i] = (T)(start + i * step) for contiguous 1-d `out` (arange).
void arange(const Array& out, double start, double step);

}  // namespace dc::cuda
