#include "python/bindings.h"

namespace dc::python {

void bind_conv(py::module_& m) {}

}  // namespace dc::python
