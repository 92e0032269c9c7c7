#include "python/bindings.h"

namespace dc::python {

void bind_norm(py::module_& m) {}

}  // namespace dc::python
