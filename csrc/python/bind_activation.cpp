#include "cpu/activation.h"
#include "ops/activation.h"
#include "python/bindings.h"

namespace dc::python {

void bind_activation(py::module_& m) {
  m.def("leaky_relu", &dc::leaky_relu, "x if x > 0 else negative_slope * x");
  m.def("elu", &dc::elu, "x if x > 0 else alpha * (exp(x) - 1)");
  m.def("relu_backward", &dc::relu_backward, "grad * (out > 0)");
  m.def("sigmoid_backward", &dc::sigmoid_backward, "grad * out * (1 - out)");
  m.def("tanh_backward", &dc::tanh_backward, "grad * (1 - out^2)");
  m.def("leaky_relu_backward", &dc::leaky_relu_backward, "grad * (x > 0 ? 1 : negative_slope)");
  m.def("elu_backward", &dc::elu_backward, "grad * (x > 0 ? 1 : alpha * exp(x))");
  m.def("softmax", &dc::softmax, "exp(x - max) / sum(exp(x - max)) along dim");
  m.def("log_softmax", &dc::log_softmax, "x - max - log(sum(exp(x - max))) along dim");
  m.def("softmax_backward", &dc::softmax_backward, "out * (grad - sum(grad * out, dim))");
  m.def("log_softmax_backward", &dc::log_softmax_backward, "grad - exp(out) * sum(grad, dim)");
  m.def("dropout", [](const Array& x, double p) { return dc::dropout(x, p, default_generator()); },
        "inverted dropout with the default generator: (out, seed, offset)");
  m.def("dropout_backward", &dc::dropout_backward,
        "the gradient through the dropout mask drawn at (seed, offset)");
  m.def("_allow_avx2", &dc::cpu::allow_avx2,
        "use (True, the default) or skip the AVX2+FMA copies of the float32 softmax and "
        "cross-entropy kernels; for tests of the portable path");
}

}  // namespace dc::python
