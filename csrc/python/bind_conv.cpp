#include "core/errors.h"
#include "cpu/conv.h"
#include "ops/conv.h"
#include "ops/pool.h"
#include "python/bindings.h"

namespace dc::python {

void bind_conv(py::module_& m) {
  m.def("conv2d_forward", &dc::conv2d, py::arg("input"), py::arg("weight"), py::arg("bias"),
        py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("relu") = false,
        "conv2d (NCHW or CHW) by im2col + GEMM; stride/padding/dilation as [v] or [h, w]; "
        "relu=True fuses a following relu");
  m.def("conv2d_backward", &dc::conv2d_backward, py::arg("grad_output"), py::arg("input"),
        py::arg("weight"), py::arg("stride"), py::arg("padding"), py::arg("dilation"),
        py::arg("input_grad"), py::arg("weight_grad"), py::arg("bias_grad"),
        py::arg("relu_output") = py::none(),
        "(grad_input, grad_weight, grad_bias) of conv2d, None where not asked for; with "
        "relu_output, of the fused conv2d + relu whose output it is");
  m.def("_conv2d_set_col_budget", [](int64_t bytes) {
    if (bytes < 1) fail<ValueError>("_conv2d_set_col_budget: expected a positive byte count, got ", bytes);
    return cpu::set_conv_col_budget(bytes);
  }, "sets the im2col tile budget per worker in bytes (tests); returns the previous one");
  m.def("_conv2d_set_implicit", &cpu::set_conv_implicit, py::arg("enabled"),
        "whether convolutions may read their im2col matrix from the input itself (tests, "
        "benchmarks); returns the previous setting");
  m.def("_conv2d_profile", [](bool enable) {
    py::dict d;
    for (const auto& [name, seconds] : cpu::conv_profile(enable)) d[py::str(name)] = seconds;
    return d;
  }, "bench hook: {phase: thread-seconds} since the last call; then enables or disables counting");
  m.def("max_pool2d", &dc::max_pool2d, py::arg("input"), py::arg("kernel_size"),
        py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("ceil_mode"),
        "(out, indices) of 2-D max pooling; an empty stride means the kernel size");
  m.def("max_pool2d_backward", &dc::max_pool2d_backward, py::arg("grad_output"),
        py::arg("indices"), py::arg("input_shape"), py::arg("kernel_size"), py::arg("stride"),
        py::arg("padding"), py::arg("dilation"), py::arg("ceil_mode"),
        "input gradient of max_pool2d from its indices");
  m.def("avg_pool2d", &dc::avg_pool2d, py::arg("input"), py::arg("kernel_size"),
        py::arg("stride"), py::arg("padding"), py::arg("ceil_mode"),
        py::arg("count_include_pad"), py::arg("divisor_override"), "2-D average pooling");
  m.def("avg_pool2d_backward", &dc::avg_pool2d_backward, py::arg("grad_output"),
        py::arg("input_shape"), py::arg("kernel_size"), py::arg("stride"), py::arg("padding"),
        py::arg("ceil_mode"), py::arg("count_include_pad"), py::arg("divisor_override"),
        "input gradient of avg_pool2d");
}

}  // namespace dc::python
