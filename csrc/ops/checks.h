// Checks shared by the op declarations in csrc/ops. Kernels assume these
// have passed, so every op calls them before any kernel runs.
#pragma once
#include <initializer_list>
#include "core/array.h"
#include "core/errors.h"

namespace dc {

// Calls the kernel of the device array `a` lives on: cuda::name(args...) or
// cpu::name(args...), which share one declaration (ops/kernels/<family>.inc,
// included by csrc/cpu/<family>.h and cuda/<family>.h). The op's checks,
// including check_same_device, come first.
#define DC_DISPATCH(a, name, ...) \
  ((a).device().is_cuda() ? ::dc::cuda::name(__VA_ARGS__) : ::dc::cpu::name(__VA_ARGS__))

// For ops whose CUDA kernel is not written yet: a GPU array raises.
void require_cpu(const char* op, const Array& a);
void require_cpu(const char* op, std::initializer_list<const Array*> arrays);
// TypeError unless `a` has a floating dtype.
void require_floating(const char* op, const Array& a);
// TypeError if `a` is bool (ops with no meaning on booleans).
void require_not_bool(const char* op, const Array& a);

}  // namespace dc
