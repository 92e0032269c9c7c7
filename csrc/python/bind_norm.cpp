#include "ops/norm.h"
#include "python/bindings.h"

namespace dc::python {

void bind_norm(py::module_& m) {
  m.def("batch_norm", &dc::batch_norm,
        "batch normalisation: (y, mean, invstd); updates the running statistics in training",
        py::arg("x"), py::arg("running_mean"), py::arg("running_var"), py::arg("weight"),
        py::arg("bias"), py::arg("training"), py::arg("momentum"), py::arg("eps"));
  m.def("batch_norm_backward", &dc::batch_norm_backward,
        "gradients (x, weight, bias) of batch_norm, None where not asked for");
}

}  // namespace dc::python
