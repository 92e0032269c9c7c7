"""dc.backends: switches of the native backends, spelled as torch.backends.

    dc.backends.cuda.matmul.allow_tf32 = True   # float32 GPU products on TF32 tensor cores

allow_tf32 (default False, as PyTorch since 1.12) lets float32 matmul,
linear and the convolutions' GEMM on the GPU round their inputs to TF32
(10-bit mantissa) and accumulate in float32: several times faster on
sm_80+ GPUs, with ~1e-3 relative error. It is one process-wide flag held by
the native library, readable and settable on any build.
"""
from . import _C

__all__ = ["cuda"]


class _MatmulFlags:
    """torch.backends.cuda.matmul: the flags of GPU matrix products."""

    __slots__ = ()

    @property
    def allow_tf32(self):
        return _C.cuda_allow_tf32()

    @allow_tf32.setter
    def allow_tf32(self, value):
        _C.cuda_set_allow_tf32(bool(value))

    def __repr__(self):
        return f"backends.cuda.matmul(allow_tf32={self.allow_tf32})"


class _CudaBackend:
    """torch.backends.cuda."""

    __slots__ = ()
    matmul = _MatmulFlags()

    @staticmethod
    def is_built():
        return _C.cuda_built()


cuda = _CudaBackend()
