#include "ops/creation.h"
#include <cmath>
#include "cuda/elementwise.h"
#include "cuda/random.h"
#include "core/cuda_runtime.h"
#include "cpu/elementwise.h"
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
  check_device("full", device);
  Array out = Array::empty(shape, dtype, device);
  fill_(out, value);
  return out;
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
  check_device("arange", device);
  Array out = Array::empty({n}, dtype, device);
  DC_DISPATCH(out, arange, out, start, step);
  return out;
}

Array rand(const Shape& shape, DType dtype, Device device, Generator& gen) {
  check_shape("rand", shape);
  if (!is_floating(dtype))
    fail<TypeError>("rand: expected a floating dtype, got ", dtype_name(dtype));
  check_device("rand", device);
  Array out = Array::empty(shape, dtype, device);
  uint64_t offset = gen.advance(static_cast<uint64_t>(out.numel()));
  DC_DISPATCH(out, uniform, out, offset, gen.seed());
  return out;
}

Array randn(const Shape& shape, DType dtype, Device device, Generator& gen) {
  check_shape("randn", shape);
  if (!is_floating(dtype))
    fail<TypeError>("randn: expected a floating dtype, got ", dtype_name(dtype));
  check_device("randn", device);
  Array out = Array::empty(shape, dtype, device);
  uint64_t offset = gen.advance(static_cast<uint64_t>(out.numel()));
  DC_DISPATCH(out, normal, out, offset, gen.seed());
  return out;
}

Array randint(int64_t low, int64_t high, const Shape& shape, DType dtype, Device device,
              Generator& gen) {
  check_shape("randint", shape);
  if (high <= low)
    fail<ValueError>("randint: expected low < high, got low=", low, " and high=", high);
  if (dtype == DType::Bool) fail<TypeError>("randint: dtype bool is not supported");
  check_device("randint", device);
  Array out = Array::empty(shape, dtype, device);
  uint64_t offset = gen.advance(static_cast<uint64_t>(out.numel()));
  DC_DISPATCH(out, randint, out, low, high, offset, gen.seed());
  return out;
}

Array to_device(const Array& a, Device device) {
  if (a.device() == device) return a;
  check_device("to", device);
  if (!a.device().is_cuda()) check_device("to", a.device());
  Array src = contiguous(a);  // on a's own device: the copy below moves one flat block
  Array out = Array::empty(a.shape(), a.dtype(), device);
  auto gpu = [](Device d) { return d.is_cuda() ? d.index : -1; };
  cuda::memcpy(out.data_ptr(), gpu(device), src.data_ptr(), gpu(a.device()),
               src.numel() * src.itemsize());
  return out;
}

}  // namespace dc
