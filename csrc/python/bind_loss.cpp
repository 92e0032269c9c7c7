#include "ops/loss.h"
#include "python/bindings.h"

namespace dc::python {

void bind_loss(py::module_& m) {
  m.def("cross_entropy", &dc::cross_entropy,
        "fused softmax cross-entropy from logits: (loss, lse)", py::arg("logits"),
        py::arg("target"), py::arg("weight"), py::arg("ignore_index"), py::arg("label_smoothing"),
        py::arg("reduction"));
  m.def("cross_entropy_backward", &dc::cross_entropy_backward,
        "gradient of cross_entropy w.r.t. the logits (softmax minus target, scaled)");
  m.def("nll_loss", &dc::nll_loss, "negative log-likelihood of log-probabilities");
  m.def("nll_loss_backward", &dc::nll_loss_backward, "gradient of nll_loss w.r.t. the input");
  m.def("multi_margin_loss", &dc::multi_margin_loss, "multi-class hinge loss");
  m.def("multi_margin_loss_backward", &dc::multi_margin_loss_backward,
        "gradient of multi_margin_loss w.r.t. the input");
  m.def("mse_loss", &dc::mse_loss, "mean squared error");
  m.def("l1_loss", &dc::l1_loss, "mean absolute error");
  m.def("binary_cross_entropy", &dc::binary_cross_entropy, "binary cross-entropy of probabilities");
  m.def("binary_cross_entropy_with_logits", &dc::binary_cross_entropy_with_logits,
        "binary cross-entropy of logits (stable), with optional pos_weight");
  m.def("pointwise_loss_backward", &dc::pointwise_loss_backward,
        "gradient of an elementwise loss w.r.t. its input or target");
}

}  // namespace dc::python
