#include "ops/linalg.h"
#include "python/bindings.h"

namespace dc::python {

void bind_linalg(py::module_& m) {
  m.def("matmul", &dc::matmul, "matrix product with PyTorch's rank rules and batch broadcasting");
}

}  // namespace dc::python
