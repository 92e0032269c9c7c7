#include "ops/creation.h"
#include <cmath>
#include "core/cuda_runtime.h"
#include "cpu/random.h"
#include "ops/checks.h"
#include "ops/elementwise.h"

namespace dc {

namespace {
void check_device(const char* op, Device device) {
  if (device.is_cuda()) cuda::require_device(op, device.index);
}
}  // namespace

Array empty(const Shape& shape, DType dtype, Device device) {
  check_shape("empty", shape);
  check_device("empty", device);
  return Array::empty(shape, dtype, device);
}

Array full(const Shape& shape, double value, DType dtype, Device device) {
  check_shape("full", shape);
  Array out = Array::empty(shape, dtype, Device{});
  fill_(out, value);
  return to_device(out, device);
}

Array arange(double start, double stop, double step, DType dtype, Device device) {
  if (step == 0) fail<ValueError>("arange: step must be nonzero");
  if (!std::isfinite(start) || !std::isfinite(stop) || !std::isfinite(step))
    fail<ValueError>("arange: start, stop and step must be finite, got (", start, ", ", stop,
                     ", ", step, ")");
  if (dtype == DType::Bool) fail<TypeError>("arange: dtype bool is not supported");
  double count = std::ceil((stop - start) / step);
  if (count > 1e15) fail<ValueError>("arange: too many elements (", count, ")");
  int64_t n = count > 0 ? static_cast<int64_t>(count) : 0;
  Array out = Array::empty({n}, dtype, Device{});
  visit_dtype(dtype, [&](auto t) {
    using T = decltype(t);
    T* p = out.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  return to_device(out, device);
}

Array rand(const Shape& shape, DType dtype, Device device, Generator& gen) {
  check_shape("rand", shape);
  if (!is_floating(dtype))
    fail<TypeError>("rand: expected a floating dtype, got ", dtype_name(dtype));
  Array out = Array::empty(shape, dtype, Device{});
  cpu::uniform(out, gen.advance(static_cast<uint64_t>(out.numel())), gen.seed());
  return to_device(out, device);
}

Array randn(const Shape& shape, DType dtype, Device device, Generator& gen) {
  check_shape("randn", shape);
  if (!is_floating(dtype))
    fail<TypeError>("randn: expected a floating dtype, got ", dtype_name(dtype));
  Array out = Array::empty(shape, dtype, Device{});
  cpu::normal(out, gen.advance(static_cast<uint64_t>(out.numel())), gen.seed());
  return to_device(out, device);
}

Array randint(int64_t low, int64_t high, const Shape& shape, DType dtype, Device device,
              Generator& gen) {
  check_shape("randint", shape);
  if (high <= low)
    fail<ValueError>("randint: expected low < high, got low=", low, " and high=", high);
  if (dtype == DType::Bool) fail<TypeError>("randint: dtype bool is not supported");
  Array out = Array::empty(shape, dtype, Device{});
  cpu::randint(out, low, high, gen.advance(static_cast<uint64_t>(out.numel())), gen.seed());
  return to_device(out, device);
}

Array to_device(const Array& a, Device device) {
  if (a.device() == device) return a;
  check_device("to", device);
  if (!a.device().is_cuda()) check_device("to", a.device());
  Array src = contiguous(a);  // (device arrays are contiguous once kernels exist)
  Array out = Array::empty(a.shape(), a.dtype(), device);
  auto gpu = [](Device d) { return d.is_cuda() ? d.index : -1; };
  cuda::memcpy(out.data_ptr(), gpu(device), src.data_ptr(), gpu(a.device()),
               src.numel() * src.itemsize());
  return out;
}

}  // namespace dc
