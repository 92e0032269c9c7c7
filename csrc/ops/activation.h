// Activations, softmax/log_softmax and dropout, each with the native backward
// that autograd calls (one pass over the data, no temporaries).
//
// Forward ops take floating tensors of any shape and strides and return a
// contiguous result. Backward ops take the incoming gradient (same shape as
// the saved tensor, any strides, same dtype) and the tensor the formula needs:
// the output for relu/sigmoid/tanh/softmax/log_softmax, the input for
// leaky_relu/elu (their output does not determine the branch for every slope).
#pragma once
#include <cstdint>
#include <tuple>
#include "core/array.h"
#include "core/random.h"

namespace dc {

// Which derivative activation_backward applies (shared by the cpu:: and
// cuda:: kernels, declared once in ops/kernels/activation.inc).
enum class ActGrad { Relu, Sigmoid, Tanh, LeakyRelu, Elu };

// x if x > 0 else negative_slope * x.
Array leaky_relu(const Array& x, double negative_slope);
// x if x > 0 else alpha * (exp(x) - 1).
Array elu(const Array& x, double alpha);

Array relu_backward(const Array& grad, const Array& out);      // grad * (out > 0)
Array sigmoid_backward(const Array& grad, const Array& out);   // grad * out * (1 - out)
Array tanh_backward(const Array& grad, const Array& out);      // grad * (1 - out^2)
Array leaky_relu_backward(const Array& grad, const Array& x, double negative_slope);
Array elu_backward(const Array& grad, const Array& x, double alpha);  // grad * alpha * exp(x) for x <= 0

// exp(x - max) / sum(exp(x - max)) along dim (a 0-d x accepts dim 0 and -1).
Array softmax(const Array& x, int64_t dim);
// x - max - log(sum(exp(x - max))) along dim.
Array log_softmax(const Array& x, int64_t dim);
// out * (grad - sum(grad * out, dim)).
Array softmax_backward(const Array& grad, const Array& out, int64_t dim);
// grad - exp(out) * sum(grad, dim).
Array log_softmax_backward(const Array& grad, const Array& out, int64_t dim);

// Inverted dropout: each element is zeroed with probability p, the others are
// scaled by 1 / (1 - p); p == 1 gives zeros. The mask comes from Philox
// counters reserved from `gen` (one counter per 4 elements, in row-major
// order), returned as (out, seed, offset) so that dropout_backward can redraw
// exactly the same mask without storing it.
std::tuple<Array, uint64_t, uint64_t> dropout(const Array& x, double p, Generator& gen);
Array dropout_backward(const Array& grad, double p, uint64_t seed, uint64_t offset);

}  // namespace dc
