#include "cpu/optim.h"
#include "ops/optim.h"
#include "python/bindings.h"

namespace dc::python {

void bind_optim(py::module_& m) {
  m.def(
      "adam_step",
      [](const std::vector<Array>& params, const std::vector<Array>& grads,
         const std::vector<Array>& exp_avgs, const std::vector<Array>& exp_avg_sqs,
         const std::vector<Array>& max_exp_avg_sqs, const std::vector<int64_t>& steps,
         double lr, double beta1, double beta2, double eps, double weight_decay, bool decoupled,
         bool amsgrad, bool maximize, bool reference) {
        dc::adam_step(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps,
                      {lr, beta1, beta2, eps, weight_decay, decoupled, amsgrad, maximize},
                      reference);
      },
      "one fused Adam/AdamW step over lists of tensors, in place (steps: after this step)",
      py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_avg_sqs"),
      py::arg("max_exp_avg_sqs"), py::arg("steps"), py::arg("lr"), py::arg("beta1"),
      py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"), py::arg("decoupled"),
      py::arg("amsgrad"), py::arg("maximize"), py::arg("reference") = false,
      py::call_guard<py::gil_scoped_release>());
  m.def("adam_uses_avx2", &dc::cpu::adam_uses_avx2,
        "whether adam_step runs its AVX2/FMA kernel on this CPU");
  m.def("optim_axpby_", &dc::optim_axpby_, "out = alpha*out + beta*x, in place", py::arg("out"),
        py::arg("alpha"), py::arg("x"), py::arg("beta"));
  m.def("optim_addcmul_", &dc::optim_addcmul_, "out = alpha*out + value*t1*t2, in place",
        py::arg("out"), py::arg("alpha"), py::arg("t1"), py::arg("t2"), py::arg("value"));
  m.def("optim_addcdiv_", &dc::optim_addcdiv_, "out = alpha*out + value*t1/t2, in place",
        py::arg("out"), py::arg("alpha"), py::arg("t1"), py::arg("t2"), py::arg("value"));
}

}  // namespace dc::python
