// The kernels of cuda/<family>.h for a build without CUDA. No GPU array can
// exist there (allocating one raises, see no_cuda.cpp), so none of these is
// ever reached, but the dispatch in csrc/ops (DC_DISPATCH) links against
// them: each raises "<op>: deepcore was built without CUDA". The TF32 switch
// is kept, so that Python code setting dc.backends.cuda.matmul.allow_tf32
// runs on any build.
#include <atomic>
#include "core/errors.h"
#include "cuda/activation.h"
#include "cuda/conv.h"
#include "cuda/elementwise.h"
#include "cuda/gemm.h"
#include "cuda/index.h"
#include "cuda/loss.h"
#include "cuda/matmul.h"
#include "cuda/norm.h"
#include "cuda/optim.h"
#include "cuda/pool.h"
#include "cuda/random.h"
#include "cuda/reduce.h"

namespace dc::cuda {

namespace {
[[noreturn]] void no_cuda(const char* op) { fail(op, ": deepcore was built without CUDA"); }
std::atomic<bool> g_allow_tf32{false};
}  // namespace

// ------------------------------------------ elementwise (ops/kernels/elementwise.inc)
void binary(BinaryOp, const Array&, const Array&, const Array&) { no_cuda("binary"); }
void compare(CompareOp, const Array&, const Array&, const Array&) { no_cuda("compare"); }
void unary(UnaryOp, const Array&, const Array&) { no_cuda("unary"); }
void clamp(const Array&, const Array&, std::optional<double>, std::optional<double>) {
  no_cuda("clamp");
}
void where(const Array&, const Array&, const Array&, const Array&) { no_cuda("where"); }
void copy(const Array&, const Array&) { no_cuda("copy"); }
void fill(const Array&, double) { no_cuda("fill"); }
void arange(const Array&, double, double) { no_cuda("arange"); }

// ------------------------------------------ reductions (ops/kernels/reduce.inc)
void reduce(ReduceOp, const Array&, const Array&, const std::vector<bool>&, double) {
  no_cuda("reduce");
}
void arg_reduce(bool, const Array*, const Array&, const Array&, const std::vector<bool>&) {
  no_cuda("arg_reduce");
}

// ------------------------------------------ indexing (ops/kernels/index.inc)
void index(const Array&, const Array&, const IndexPlan&) { no_cuda("index"); }
void index_put(const Array&, const Array&, const IndexPlan&, bool) { no_cuda("index_put_"); }
bool find_out_of_range(const Array&, int64_t, int64_t, int64_t*) { no_cuda("find_out_of_range"); }
Array nonzero(const Array&) { no_cuda("nonzero"); }
void gather(const Array&, const Array&, int64_t, const Array&) { no_cuda("gather"); }
void scatter_add(const Array&, int64_t, const Array&, const Array&) { no_cuda("scatter_add_"); }

// ------------------------------------------ random (ops/kernels/random.inc)
void uniform(const Array&, uint64_t, uint64_t) { no_cuda("rand"); }
void normal(const Array&, uint64_t, uint64_t) { no_cuda("randn"); }
void randint(const Array&, int64_t, int64_t, uint64_t, uint64_t) { no_cuda("randint"); }

// ------------------------------------------ activations (ops/kernels/activation.inc)
void leaky_relu(const Array&, const Array&, double) { no_cuda("leaky_relu"); }
void elu(const Array&, const Array&, double) { no_cuda("elu"); }
void activation_backward(ActGrad, const Array&, const Array&, const Array&, double) {
  no_cuda("activation_backward");
}
void softmax(const Array&, const Array&, int64_t, int64_t, int64_t, bool) { no_cuda("softmax"); }
void softmax_backward(const Array&, const Array&, const Array&, int64_t, int64_t, int64_t, bool) {
  no_cuda("softmax_backward");
}
void dropout(const Array&, const Array&, uint64_t, double, uint64_t, uint64_t) {
  no_cuda("dropout");
}

// ------------------------------------------ losses (ops/kernels/loss.inc)
void cross_entropy(const CrossEntropyProblem&, const Array&, const Array&, const Array&) {
  no_cuda("cross_entropy");
}
void cross_entropy_backward(const CrossEntropyProblem&, const Array&, const Array&, double,
                            const Array&) {
  no_cuda("cross_entropy_backward");
}
void nll_loss(const CrossEntropyProblem&, const Array&, const Array&) { no_cuda("nll_loss"); }
void nll_loss_backward(const CrossEntropyProblem&, const Array&, double, const Array&) {
  no_cuda("nll_loss_backward");
}
void multi_margin_loss(const CrossEntropyProblem&, int64_t, double, const Array&) {
  no_cuda("multi_margin_loss");
}
void multi_margin_loss_backward(const CrossEntropyProblem&, int64_t, double, const Array&, double,
                                const Array&) {
  no_cuda("multi_margin_loss_backward");
}
void reduce_loss_rows(const Array&, const Array&, const Array&, LossReduction) {
  no_cuda("reduce_loss_rows");
}
void pointwise_loss(PointwiseLoss, const Array&, const Array&, const Array&, const Array&,
                    const Array&) {
  no_cuda("pointwise_loss");
}
void pointwise_loss_backward(PointwiseLoss, bool, const Array&, const Array&, const Array&,
                             const Array&, const Array&, const Array&, double) {
  no_cuda("pointwise_loss_backward");
}
int64_t first_non_probability(const Array&) { no_cuda("binary_cross_entropy"); }

// ------------------------------------------ batch norm (ops/kernels/norm.inc)
void batch_norm_stats(const Array&, int64_t, int64_t, int64_t, const Array&, const Array&) {
  no_cuda("batch_norm");
}
void batch_norm_forward_channels(const BatchNormForwardChannels&) { no_cuda("batch_norm"); }
void batch_norm_apply(const Array&, const Array&, int64_t, int64_t, int64_t, const Array&,
                      const Array&, const Array&) {
  no_cuda("batch_norm");
}
void batch_norm_grad_sums(const Array&, const Array&, int64_t, int64_t, int64_t, const Array&,
                          const Array&, const Array&) {
  no_cuda("batch_norm_backward");
}
void batch_norm_backward_channels(const BatchNormBackwardChannels&) {
  no_cuda("batch_norm_backward");
}
void batch_norm_grad_input(const Array&, const Array&, const Array&, int64_t, int64_t, int64_t,
                           const Array&, const Array&, const Array&, const Array&) {
  no_cuda("batch_norm_backward");
}

// ------------------------------------------ optimizers (ops/kernels/optim.inc)
void adam_step(const std::vector<Array>&, const std::vector<Array>&, const std::vector<Array>&,
               const std::vector<Array>&, const std::vector<Array>&, const std::vector<int64_t>&,
               const AdamOptions&) {
  no_cuda("adam_step");
}
void adam_step_reference(const std::vector<Array>&, const std::vector<Array>&,
                         const std::vector<Array>&, const std::vector<Array>&,
                         const std::vector<Array>&, const std::vector<int64_t>&,
                         const AdamOptions&) {
  no_cuda("adam_step");
}
void axpby_(const Array&, double, const Array&, double) { no_cuda("optim_axpby_"); }
void addcmul_(const Array&, double, const Array&, const Array&, double) {
  no_cuda("optim_addcmul_");
}
void addcdiv_(const Array&, double, const Array&, const Array&, double) {
  no_cuda("optim_addcdiv_");
}

// ------------------------------------------ pooling (ops/kernels/pool.inc)
void max_pool2d_forward(const PoolGeometry&, const Array&, const Array&, const Array&) {
  no_cuda("max_pool2d");
}
void max_pool2d_backward(const PoolGeometry&, const Array&, const Array&, const Array&) {
  no_cuda("max_pool2d_backward");
}
void avg_pool2d_forward(const PoolGeometry&, const Array&, const Array&, bool, int64_t) {
  no_cuda("avg_pool2d");
}
void avg_pool2d_backward(const PoolGeometry&, const Array&, const Array&, bool, int64_t) {
  no_cuda("avg_pool2d_backward");
}

// ------------------------------------------ convolution (ops/kernels/conv.inc)
void conv2d_forward(const ConvGeometry&, const Array&, const Array&, const Array&, const Array&,
                    bool) {
  no_cuda("conv2d");
}
void conv2d_backward(const ConvGeometry&, const Array&, const Array&, const Array&, const Array&,
                     const Array&, const Array&, const Array&) {
  no_cuda("conv2d");
}

// ------------------------------------------ matmul (ops/kernels/matmul.inc, cuda/matmul.h)
void matmul(const Array&, const Array&, const Array&) { no_cuda("matmul"); }
void linear(const Array&, const Array&, const Array&, const Array&) { no_cuda("linear"); }
void gemm_inplace(const Array&, const Array&, const Array&, double, double) { no_cuda("gemm_"); }

// ------------------------------------------ gemm (ops/kernels/gemm.inc, cuda/gemm.h)
// cuda::gemm and cuda::gemm_batched need no stub: only cuda/*.cu calls them.
void set_allow_tf32(bool allow) { g_allow_tf32.store(allow); }
bool allow_tf32() { return g_allow_tf32.load(); }

}  // namespace dc::cuda
