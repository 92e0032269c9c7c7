// Error checks for CUDA code: every failure becomes dc::RuntimeError naming
// the call or op, so Python sees "<op>: CUDA error: ..." and never an abort.
#pragma once
#include <cuda_runtime.h>
#include "core/cuda_runtime.h"

namespace dc::cuda {

// Raises "<what>: CUDA error: <reason>" unless err is cudaSuccess.
void check(cudaError_t err, const char* what);
// Call right after a kernel launch: turns a launch error (bad configuration,
// no kernel image for this GPU) into "<op>: CUDA error: ...".
void check_launch(const char* op);
// The stream every kernel of `device` is launched on.
inline cudaStream_t stream(int device) { return static_cast<cudaStream_t>(current_stream(device)); }

}  // namespace dc::cuda
