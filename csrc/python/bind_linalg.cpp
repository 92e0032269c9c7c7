#include "python/bindings.h"

namespace dc::python {

void bind_linalg(py::module_& m) {}

}  // namespace dc::python
