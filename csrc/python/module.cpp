// deepcore._C: the native core as a Python module. Every C++ exception is
// translated here to one Python type, so no input can abort the interpreter.
#include <Python.h>
#include "core/errors.h"
#include "python/bindings.h"

namespace dc::python {

namespace {
PyObject* g_shape_error = nullptr;
}

PYBIND11_MODULE(_C, m) {
  m.doc() = "deepcore's native core: arrays, ops and kernels (see python/deepcore for the API)";

  // ShapeError is both a ValueError and a RuntimeError: PyTorch raises
  // RuntimeError for shape mismatches, numpy users expect ValueError.
  PyObject* bases = PyTuple_Pack(2, PyExc_ValueError, PyExc_RuntimeError);
  g_shape_error = PyErr_NewException("deepcore.ShapeError", bases, nullptr);
  Py_DECREF(bases);
  m.add_object("ShapeError", py::handle(g_shape_error));

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const dc::ShapeError& e) {
      PyErr_SetString(g_shape_error, e.what());
    } catch (const dc::TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const dc::ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const dc::IndexError& e) {
      PyErr_SetString(PyExc_IndexError, e.what());
    } catch (const dc::NotImplementedError& e) {
      PyErr_SetString(PyExc_NotImplementedError, e.what());
    } catch (const dc::RuntimeError& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });

  bind_array(m);
  bind_elementwise(m);
  bind_shape(m);
  bind_reduce(m);
  bind_index(m);
  bind_linalg(m);
  bind_dlpack(m);
  bind_activation(m);
  bind_loss(m);
  bind_norm(m);
  bind_conv(m);
  bind_optim(m);
}

}  // namespace dc::python
