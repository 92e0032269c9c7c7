// Array creation: filled arrays, ranges and random draws. Shapes are
// validated here (negative or absurd sizes raise before allocating).
#pragma once
#include "core/array.h"
#include "core/random.h"

namespace dc {

Array empty(const Shape& shape, DType dtype, Device device);
Array full(const Shape& shape, double value, DType dtype, Device device);
// Values start, start+step, ... below stop (above, for a negative step).
Array arange(double start, double stop, double step, DType dtype, Device device);
// Uniform on [0, 1) (floating dtypes only).
Array rand(const Shape& shape, DType dtype, Device device, Generator& gen);
// Standard normal (floating dtypes only).
Array randn(const Shape& shape, DType dtype, Device device, Generator& gen);
// Uniform integers on [low, high).
Array randint(int64_t low, int64_t high, const Shape& shape, DType dtype, Device device,
              Generator& gen);
// Copies `a` to `device`, between the CPU and a GPU or two GPUs (or returns
// it when already there).
Array to_device(const Array& a, Device device);

}  // namespace dc
