#include "ops/reduce.h"
#include "python/bindings.h"

namespace dc::python {

void bind_reduce(py::module_& m) {
  m.def("sum", &dc::sum, "sum over dims (None or [] = all); bool/int64 give int64",
        py::arg("a"), py::arg("dims"), py::arg("keepdim") = false);
  m.def("mean", &dc::mean, "mean over dims (floating inputs)", py::arg("a"), py::arg("dims"),
        py::arg("keepdim") = false);
  m.def("var", &dc::var, "variance over dims with divisor max(0, n - correction)",
        py::arg("a"), py::arg("dims"), py::arg("correction") = 1.0, py::arg("keepdim") = false);
  m.def("std", &dc::stddev, "standard deviation: sqrt of var", py::arg("a"), py::arg("dims"),
        py::arg("correction") = 1.0, py::arg("keepdim") = false);
  m.def("amax", &dc::amax, "max over dims, NaN-propagating", py::arg("a"), py::arg("dims"),
        py::arg("keepdim") = false);
  m.def("amin", &dc::amin, "min over dims, NaN-propagating", py::arg("a"), py::arg("dims"),
        py::arg("keepdim") = false);
  m.def("all", &dc::all, "true where every element is nonzero (bool)", py::arg("a"),
        py::arg("dims"), py::arg("keepdim") = false);
  m.def("any", &dc::any, "true where some element is nonzero (bool)", py::arg("a"),
        py::arg("dims"), py::arg("keepdim") = false);
  m.def("argmax", &dc::argmax, "index of the first max along dim (None: flattened)",
        py::arg("a"), py::arg("dim"), py::arg("keepdim") = false);
  m.def("argmin", &dc::argmin, "index of the first min along dim (None: flattened)",
        py::arg("a"), py::arg("dim"), py::arg("keepdim") = false);
  m.def("max_dim", &dc::max_dim, "(values, indices) of the max along dim", py::arg("a"),
        py::arg("dim"), py::arg("keepdim") = false);
  m.def("min_dim", &dc::min_dim, "(values, indices) of the min along dim", py::arg("a"),
        py::arg("dim"), py::arg("keepdim") = false);
}

}  // namespace dc::python
