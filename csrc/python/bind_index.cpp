#include "python/bindings.h"

namespace dc::python {

void bind_index(py::module_& m) {}

}  // namespace dc::python
