#include "python/bindings.h"

namespace dc::python {

void bind_dlpack(py::module_& m) {}

}  // namespace dc::python
