#include "ops/index.h"
#include "python/bindings.h"

namespace dc::python {

void bind_index(py::module_& m) {
  m.def("index", &dc::index,
        "a[indices]: one entry per leading dim, None or an int64 array (a new array)",
        py::arg("a"), py::arg("indices"));
  m.def("index_put_", &dc::index_put_,
        "a[indices] = values (+= with accumulate, duplicates summed), in place", py::arg("a"),
        py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);
  m.def("nonzero", &dc::nonzero, "(n, ndim) int64 positions of the non-zero elements");
  m.def("gather", &dc::gather, "out[...i...] = a[...index[...i...]...] along dim");
  m.def("scatter_add_", &dc::scatter_add_, "a[...index[...i...]...] += src[...i...] along dim, in place");
}

}  // namespace dc::python
