// CUDA kernels for csrc/ops/activation.h, with the signatures of
// csrc/cpu/activation.h (the ops layer calls one or the other through
// DC_DISPATCH). Arrays live on one GPU; the ops layer has checked them.
#pragma once
#include <cstdint>
#include "core/array.h"
#include "ops/activation.h"

namespace dc::cuda {

// Elementwise: out has x's shape (contiguous); inputs may be strided.
void leaky_relu(const Array& out, const Array& x, double negative_slope);
void elu(const Array& out, const Array& x, double alpha);
// out = grad * f'(saved), saved the output (relu, sigmoid, tanh) or the input
// (leaky_relu, elu); `param` is the slope or alpha.
void activation_backward(ActGrad kind, const Array& out, const Array& grad, const Array& saved,
                         double param);

// Contiguous x viewed as (outer, n, inner), normalised along n.
void softmax(const Array& out, const Array& x, int64_t outer, int64_t n, int64_t inner, bool log);
// out = y * (g - sum(g * y)) (softmax) or g - exp(y) * sum(g) (log_softmax).
void softmax_backward(const Array& out, const Array& g, const Array& y, int64_t outer, int64_t n,
                      int64_t inner, bool log);

// Inverted dropout on contiguous x with the CPU's Philox mask (element i kept
// when word i%4 of block (seed, offset + i/4) is >= threshold).
void dropout(const Array& out, const Array& x, uint64_t threshold, double scale, uint64_t seed,
             uint64_t offset);

}  // namespace dc::cuda
