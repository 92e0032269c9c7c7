#include "python/bindings.h"

namespace dc::python {

void bind_loss(py::module_& m) {}

}  // namespace dc::python
