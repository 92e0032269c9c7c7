// Checks and dispatch for the optimiser updates (see optim.h).
#include "ops/optim.h"
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include "cuda/optim.h"
#include "cpu/optim.h"
#include "ops/checks.h"
#include "ops/elementwise.h"

namespace dc {

namespace {

// `what i` (e.g. "grad 2") must be on `device` (param 0's), contiguous,
// with `like`'s shape and dtype (`like` is param i).
void check_like(const char* op, const char* what, size_t i, const Array& a, const Array& like,
                Device device) {
  if (a.device() != device)
    fail<RuntimeError>(op, ": expected all tensors to be on the same device, but ", what, " ", i,
                       " is on '", a.device().str(), "' and param 0 on '", device.str(), "'");
  if (a.dtype() != like.dtype())
    fail<TypeError>(op, ": ", what, " ", i, " has dtype ", dtype_name(a.dtype()),
                    " but param ", i, " has dtype ", dtype_name(like.dtype()));
  if (a.shape() != like.shape())
    fail<ShapeError>(op, ": ", what, " ", i, " has shape ", shape_str(a.shape()), " but param ",
                     i, " has shape ", shape_str(like.shape()));
  if (!a.is_contiguous())
    fail<ValueError>(op, ": ", what, " ", i, " must be contiguous (strides ",
                     shape_str(a.strides()), " for shape ", shape_str(a.shape()), ")");
}

// The kernels update in place and in parallel: no two written arrays may
// share memory, or threads would race and an element be updated twice.
struct Span {
  uintptr_t begin, end;
  const char* what;
  size_t index;
};

void check_disjoint(const char* op, std::vector<Span> spans) {
  spans.erase(std::remove_if(spans.begin(), spans.end(),
                             [](const Span& s) { return s.begin == s.end; }),
              spans.end());
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin; });
  for (size_t k = 1; k < spans.size(); ++k)
    if (spans[k].begin < spans[k - 1].end)
      fail<ValueError>(op, ": ", spans[k - 1].what, " ", spans[k - 1].index, " and ",
                       spans[k].what, " ", spans[k].index,
                       " share memory; every updated tensor must have its own storage");
}

Span span_of(const Array& a, const char* what, size_t i) {
  auto b = reinterpret_cast<uintptr_t>(a.data_ptr());
  return {b, b + static_cast<uintptr_t>(a.numel() * a.itemsize()), what, i};
}

// The operands of the small fused kernels: same shape, floating dtype and
// device, contiguous.
void check_operands(const char* op, const Array& out, std::initializer_list<const Array*> ins) {
  require_floating(op, out);
  if (!out.is_contiguous()) fail<ValueError>(op, ": the output must be contiguous");
  for (const Array* a : ins) {
    check_same_device(op, out, *a);
    if (a->dtype() != out.dtype())
      fail<TypeError>(op, ": operand has dtype ", dtype_name(a->dtype()),
                      " but the output has dtype ", dtype_name(out.dtype()));
    if (a->shape() != out.shape())
      fail<ShapeError>(op, ": operand has shape ", shape_str(a->shape()),
                       " but the output has shape ", shape_str(out.shape()));
    if (!a->is_contiguous()) fail<ValueError>(op, ": operands must be contiguous");
  }
}

}  // namespace

void adam_step(const std::vector<Array>& params, const std::vector<Array>& grads,
               const std::vector<Array>& exp_avgs, const std::vector<Array>& exp_avg_sqs,
               const std::vector<Array>& max_exp_avg_sqs, const std::vector<int64_t>& steps,
               const AdamOptions& opt, bool reference) {
  const char* op = "adam_step";
  const size_t n = params.size();
  auto same_count = [&](size_t m, const char* what) {
    if (m != n) fail<ValueError>(op, ": got ", n, " params but ", m, " ", what);
  };
  same_count(grads.size(), "grads");
  same_count(exp_avgs.size(), "exp_avgs");
  same_count(exp_avg_sqs.size(), "exp_avg_sqs");
  same_count(steps.size(), "step counts");
  if (opt.amsgrad) same_count(max_exp_avg_sqs.size(), "max_exp_avg_sqs (amsgrad=True)");
  else if (!max_exp_avg_sqs.empty())
    fail<ValueError>(op, ": max_exp_avg_sqs must be empty when amsgrad=False (got ",
                     max_exp_avg_sqs.size(), ")");

  // `!(x >= 0)` also refuses NaN.
  if (!(opt.lr >= 0) || std::isinf(opt.lr))
    fail<ValueError>(op, ": invalid learning rate: ", opt.lr);
  if (!(opt.beta1 >= 0 && opt.beta1 < 1))
    fail<ValueError>(op, ": invalid beta parameter at index 0: ", opt.beta1, " (expected [0, 1))");
  if (!(opt.beta2 >= 0 && opt.beta2 < 1))
    fail<ValueError>(op, ": invalid beta parameter at index 1: ", opt.beta2, " (expected [0, 1))");
  if (!(opt.eps >= 0)) fail<ValueError>(op, ": invalid epsilon value: ", opt.eps);
  if (!(opt.weight_decay >= 0) || std::isinf(opt.weight_decay))
    fail<ValueError>(op, ": invalid weight_decay value: ", opt.weight_decay);

  const Device device = n > 0 ? params[0].device() : Device{};
  std::vector<Span> written;
  written.reserve(n * (opt.amsgrad ? 4 : 3));
  for (size_t i = 0; i < n; ++i) {
    const Array& p = params[i];
    if (p.device() != device)
      fail<RuntimeError>(op, ": expected all tensors to be on the same device, but param ", i,
                         " is on '", p.device().str(), "' and param 0 on '", device.str(), "'");
    if (!is_floating(p.dtype()))
      fail<TypeError>(op, ": param ", i, " has dtype ", dtype_name(p.dtype()),
                      "; expected float32 or float64");
    if (!p.is_contiguous())
      fail<ValueError>(op, ": param ", i, " must be contiguous (strides ",
                       shape_str(p.strides()), " for shape ", shape_str(p.shape()), ")");
    check_like(op, "grad", i, grads[i], p, device);
    check_like(op, "exp_avg", i, exp_avgs[i], p, device);
    check_like(op, "exp_avg_sq", i, exp_avg_sqs[i], p, device);
    if (opt.amsgrad) check_like(op, "max_exp_avg_sq", i, max_exp_avg_sqs[i], p, device);
    if (steps[i] < 1) fail<ValueError>(op, ": step count ", i, " is ", steps[i], "; expected >= 1");
    written.push_back(span_of(p, "param", i));
    written.push_back(span_of(exp_avgs[i], "exp_avg", i));
    written.push_back(span_of(exp_avg_sqs[i], "exp_avg_sq", i));
    if (opt.amsgrad) written.push_back(span_of(max_exp_avg_sqs[i], "max_exp_avg_sq", i));
  }
  check_disjoint(op, std::move(written));

  if (device.is_cuda()) {
    if (reference)
      cuda::adam_step_reference(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, opt);
    else
      cuda::adam_step(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, opt);
  } else if (reference) {
    cpu::adam_step_reference(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, opt);
  } else {
    cpu::adam_step(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, opt);
  }
  // In-place writes: autograd's saved-tensor check must see them.
  for (size_t i = 0; i < n; ++i) {
    params[i].storage()->bump_version();
    exp_avgs[i].storage()->bump_version();
    exp_avg_sqs[i].storage()->bump_version();
    if (opt.amsgrad) max_exp_avg_sqs[i].storage()->bump_version();
  }
}

void optim_axpby_(const Array& out, double alpha, const Array& x, double beta) {
  check_operands("optim_axpby_", out, {&x});
  DC_DISPATCH(out, axpby_, out, alpha, x, beta);
  out.storage()->bump_version();
}

void optim_addcmul_(const Array& out, double alpha, const Array& t1, const Array& t2,
                    double value) {
  check_operands("optim_addcmul_", out, {&t1, &t2});
  DC_DISPATCH(out, addcmul_, out, alpha, t1, t2, value);
  out.storage()->bump_version();
}

void optim_addcdiv_(const Array& out, double alpha, const Array& t1, const Array& t2,
                    double value) {
  check_operands("optim_addcdiv_", out, {&t1, &t2});
  DC_DISPATCH(out, addcdiv_, out, alpha, t1, t2, value);
  out.storage()->bump_version();
}

}  // namespace dc
