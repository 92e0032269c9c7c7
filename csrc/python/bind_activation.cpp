#include <string>
#include "cpu/activation.h"
#include "cpu/isa.h"
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
  m.def("_set_isa_cap", [](const std::string& name) {
        using dc::cpu::Isa;
        if (name != "portable" && name != "avx2" && name != "avx512")
          throw py::value_error("_set_isa_cap: unknown ISA '" + name +
                                "' (expected 'portable', 'avx2' or 'avx512')");
        dc::cpu::set_isa_cap(name == "portable" ? Isa::Portable
                             : name == "avx2"   ? Isa::Avx2
                                                : Isa::Avx512);
      },
      "cap the vector ISA of the float32 softmax, cross-entropy and im2col/col2im kernels "
      "('avx512', the default, takes the widest the CPU has); for tests of each path");
  m.def("_isa_level", [] {
        switch (dc::cpu::isa_level()) {
          case dc::cpu::Isa::Avx512: return "avx512";
          case dc::cpu::Isa::Avx2: return "avx2";
          default: return "portable";
        }
      },
      "the ISA those kernels run now: the CPU's widest under the cap");
}

}  // namespace dc::python
