#include "ops/elementwise.h"
#include "python/bindings.h"

namespace dc::python {

void bind_elementwise(py::module_& m) {
  m.def("add", &dc::add, "a + b with broadcasting");
  m.def("sub", &dc::sub, "a - b with broadcasting");
  m.def("mul", &dc::mul, "a * b with broadcasting");
  m.def("div", &dc::div, "a / b (true division) with broadcasting");
  m.def("pow", &dc::pow, "a ** b with broadcasting");
  m.def("maximum", &dc::maximum, "elementwise maximum, NaN-propagating");
  m.def("minimum", &dc::minimum, "elementwise minimum, NaN-propagating");
  m.def("bitwise_and", &dc::bitwise_and, "a & b for bool/int64");
  m.def("bitwise_or", &dc::bitwise_or, "a | b for bool/int64");
  m.def("bitwise_xor", &dc::bitwise_xor, "a ^ b for bool/int64");
  m.def("eq", &dc::eq, "a == b (bool)");
  m.def("ne", &dc::ne, "a != b (bool)");
  m.def("lt", &dc::lt, "a < b (bool)");
  m.def("le", &dc::le, "a <= b (bool)");
  m.def("gt", &dc::gt, "a > b (bool)");
  m.def("ge", &dc::ge, "a >= b (bool)");
  m.def("neg", &dc::neg, "-a");
  m.def("abs", &dc::abs, "|a|");
  m.def("exp", &dc::exp, "e ** a");
  m.def("log", &dc::log, "natural logarithm");
  m.def("sqrt", &dc::sqrt, "square root");
  m.def("sin", &dc::sin, "sine");
  m.def("cos", &dc::cos, "cosine");
  m.def("tanh", &dc::tanh, "hyperbolic tangent");
  m.def("sigmoid", &dc::sigmoid, "1 / (1 + exp(-a)), overflow-free");
  m.def("relu", &dc::relu, "max(a, 0)");
  m.def("sign", &dc::sign, "-1, 0 or 1 by sign");
  m.def("bitwise_not", &dc::bitwise_not, "~a (logical not for bool)");
  m.def("isnan", &dc::isnan, "a != a");
  m.def("clamp", &dc::clamp, "clamp(a, min, max)", py::arg("a"), py::arg("min") = py::none(),
        py::arg("max") = py::none());
  m.def("where", &dc::where, "cond ? a : b with broadcasting");
  m.def("to_dtype", &dc::to_dtype, "convert to dtype", py::arg("a"), py::arg("dtype"),
        py::arg("copy") = false);
  m.def("contiguous", &dc::contiguous, "contiguous copy (or a itself)");
  m.def("copy_", &dc::copy_, "dst[...] = src (broadcast, converted)");
  m.def("fill_", &dc::fill_, "dst[...] = value");
}

}  // namespace dc::python
