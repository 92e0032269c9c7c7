#include <optional>
#include "ops/linalg.h"
#include "python/bindings.h"

namespace dc::python {

void bind_linalg(py::module_& m) {
  m.def("matmul", &dc::matmul, "matrix product with PyTorch's rank rules and batch broadcasting");
  m.def("linear", [](const Array& x, const Array& w, const std::optional<Array>& b) {
    return dc::linear(x, w, b ? *b : Array());
  }, py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(),
     "input @ weight^T + bias in one GEMM (bias as the initial C)");
  m.def("_gemm_", &dc::gemm_, py::arg("c"), py::arg("a"), py::arg("b"), py::arg("alpha"),
        py::arg("beta"), "test hook: c = alpha * a @ b + beta * c in place");
  m.def("_set_gemm_kernel", &dc::set_gemm_kernel, "test hook: 'auto', 'portable', 'avx2' or 'avx512'");
  m.def("_gemm_kernel", &dc::gemm_kernel, "the GEMM micro-kernel in use: 'avx512', 'avx2' or 'portable'");
  m.def("cuda_set_allow_tf32", &dc::set_allow_tf32, py::arg("allow"),
        "torch.backends.cuda.matmul.allow_tf32 = allow: float32 GPU products may use TF32");
  m.def("cuda_allow_tf32", &dc::allow_tf32, "whether float32 GPU products may use TF32");
}

}  // namespace dc::python
