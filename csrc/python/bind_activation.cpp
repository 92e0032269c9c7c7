#include "python/bindings.h"

namespace dc::python {

void bind_activation(py::module_& m) {}

}  // namespace dc::python
