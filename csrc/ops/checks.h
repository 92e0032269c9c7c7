// Checks shared by the op declarations in csrc/ops. Kernels assume these
// have passed, so every op calls them before any kernel runs.
#pragma once
#include <initializer_list>
#include "core/array.h"
#include "core/errors.h"

namespace dc {

// The kernels of this build run on the CPU; a GPU array raises until the
// CUDA backend implements `op`.
void require_cpu(const char* op, const Array& a);
void require_cpu(const char* op, std::initializer_list<const Array*> arrays);
// TypeError unless `a` has a floating dtype.
void require_floating(const char* op, const Array& a);
// TypeError if `a` is bool (ops with no meaning on booleans).
void require_not_bool(const char* op, const Array& a);

}  // namespace dc
