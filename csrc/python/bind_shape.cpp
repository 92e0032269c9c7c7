#include "ops/shape.h"
#include "python/bindings.h"

namespace dc::python {

void bind_shape(py::module_& m) {
  m.def("reshape", &dc::reshape, "view when possible, else a copy");
  m.def("view", &dc::view, "view with another shape (never copies)");
  m.def("flatten", &dc::flatten, "merge dims start_dim..end_dim");
  m.def("transpose", &dc::transpose, "swap two dims (view)");
  m.def("permute", &dc::permute, "reorder dims (view)");
  m.def("expand", &dc::expand, "broadcast to a shape (view)");
  m.def("squeeze", &dc::squeeze, "drop size-1 dims (view)", py::arg("a"), py::arg("dims") = py::none());
  m.def("unsqueeze", &dc::unsqueeze, "insert a size-1 dim (view)");
  m.def("slice", &dc::slice, "a[start:stop:step] along dim (view)");
  m.def("select", &dc::select, "a[index] along dim (view)");
  m.def("cat", &dc::cat, "concatenate along an existing dim");
  m.def("stack", &dc::stack, "stack along a new dim");
}

}  // namespace dc::python
