#include "python/bindings.h"

namespace dc::python {

void bind_reduce(py::module_& m) {}

}  // namespace dc::python
