// DC_HOST_DEVICE marks a function that both backends compile: for the host
// and, under nvcc, for the GPU too (core/random.h, ops/kernels/reducers.h).
#pragma once

#ifdef __CUDACC__
#define DC_HOST_DEVICE __host__ __device__
#else
#define DC_HOST_DEVICE
#endif
