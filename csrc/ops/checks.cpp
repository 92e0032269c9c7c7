#include "ops/checks.h"

namespace dc {

void require_cpu(const char* op, const Array& a) {
  if (!a.device().is_cpu())
    fail<NotImplementedError>(op, ": not implemented for device '", a.device().str(),
                              "' in this build (arrays on 'cpu' are supported)");
}

void require_cpu(const char* op, std::initializer_list<const Array*> arrays) {
  for (const Array* a : arrays) require_cpu(op, *a);
}

void require_floating(const char* op, const Array& a) {
  if (!is_floating(a.dtype()))
    fail<TypeError>(op, ": expected a floating point tensor (float32 or float64), got ",
                    dtype_name(a.dtype()));
}

void require_not_bool(const char* op, const Array& a) {
  if (a.dtype() == DType::Bool) fail<TypeError>(op, ": not supported for bool tensors");
}

}  // namespace dc
