// pybind11 bindings of deepcore._C, one file per op family. Each binding is
// a thin call into csrc/ops; exception mapping is in module.cpp.
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include "core/array.h"

namespace dc::python {

namespace py = pybind11;

void bind_array(py::module_& m);        // Array, numpy interop, creation, threads, random
void bind_elementwise(py::module_& m);
void bind_shape(py::module_& m);
void bind_reduce(py::module_& m);
void bind_index(py::module_& m);
void bind_linalg(py::module_& m);
void bind_dlpack(py::module_& m);
void bind_activation(py::module_& m);  // activations, softmax, dropout
void bind_loss(py::module_& m);
void bind_norm(py::module_& m);        // batch norm
void bind_conv(py::module_& m);        // conv2d (im2col), pooling
void bind_optim(py::module_& m);       // fused optimiser steps (dc.optim)

}  // namespace dc::python
