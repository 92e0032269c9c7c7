"""
deepcore's native core: arrays, ops and kernels (see python/deepcore for the API)
"""
from __future__ import annotations
import collections.abc
from deepcore import ShapeError
import numpy
import typing
__all__: list[str] = ['Array', 'DType', 'Device', 'ShapeError', 'abs', 'adam_step', 'adam_uses_avx2', 'add', 'all', 'amax', 'amin', 'any', 'arange', 'argmax', 'argmin', 'avg_pool2d', 'avg_pool2d_backward', 'batch_norm', 'batch_norm_backward', 'binary_cross_entropy', 'binary_cross_entropy_with_logits', 'bitwise_and', 'bitwise_not', 'bitwise_or', 'bitwise_xor', 'cat', 'clamp', 'contiguous', 'conv2d_backward', 'conv2d_forward', 'copy_', 'cos', 'cross_entropy', 'cross_entropy_backward', 'cuda_allow_tf32', 'cuda_built', 'cuda_device_count', 'cuda_empty_cache', 'cuda_malloc_count', 'cuda_max_memory_allocated', 'cuda_memory_allocated', 'cuda_memory_reserved', 'cuda_reset_peak_memory_stats', 'cuda_set_allow_tf32', 'cuda_synchronize', 'div', 'dropout', 'dropout_backward', 'elu', 'elu_backward', 'empty', 'eq', 'exp', 'expand', 'fill_', 'flatten', 'from_dlpack', 'from_numpy', 'full', 'gather', 'ge', 'get_num_threads', 'get_rng_state', 'gt', 'index', 'index_put_', 'initial_seed', 'isnan', 'l1_loss', 'le', 'leaky_relu', 'leaky_relu_backward', 'linear', 'log', 'log_softmax', 'log_softmax_backward', 'lt', 'manual_seed', 'matmul', 'max_dim', 'max_pool2d', 'max_pool2d_backward', 'maximum', 'mean', 'min_dim', 'minimum', 'mse_loss', 'mul', 'multi_margin_loss', 'multi_margin_loss_backward', 'ne', 'neg', 'nll_loss', 'nll_loss_backward', 'nonzero', 'optim_addcdiv_', 'optim_addcmul_', 'optim_axpby_', 'permute', 'pointwise_loss_backward', 'pow', 'rand', 'randint', 'randn', 'relu', 'relu_backward', 'reshape', 'scalar', 'scatter_add_', 'select', 'set_num_threads', 'set_rng_state', 'sigmoid', 'sigmoid_backward', 'sign', 'sin', 'slice', 'softmax', 'softmax_backward', 'sqrt', 'squeeze', 'stack', 'std', 'sub', 'sum', 'tanh', 'tanh_backward', 'to_device', 'to_dlpack', 'to_dtype', 'to_numpy', 'transpose', 'unsqueeze', 'var', 'view', 'where']
class DType:
    """
    Members:
    
      bool
    
      int64
    
      float32
    
      float64
    """
    __members__: typing.ClassVar[dict[str, DType]]
    bool: typing.ClassVar[DType]
    float32: typing.ClassVar[DType]
    float64: typing.ClassVar[DType]
    int64: typing.ClassVar[DType]
    @typing.overload
    def __eq__(self, other: DType) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: DType) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class Device:
    __hash__: typing.ClassVar[None] = None
    def __eq__(self, arg0: Device) -> bool:
        ...
    def __init__(self, type: typing.SupportsInt | typing.SupportsIndex, index: typing.SupportsInt | typing.SupportsIndex = 0) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def index(self) -> int:
        ...
    @property
    def type(self) -> int:
        ...
class Array:
    """
    A native n-d array (no autograd): dtype, shape, strides, offset
    """
    def data_ptr(self) -> int:
        ...
    def is_contiguous(self) -> bool:
        ...
    def item(self) -> typing.Any:
        ...
    def numel(self) -> int:
        ...
    def sole_owner_since(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> bool:
        ...
    def storage_id(self) -> int:
        ...
    @property
    def device(self) -> Device:
        ...
    @property
    def dtype(self) -> DType:
        ...
    @property
    def dtype_index(self) -> int:
        ...
    @property
    def itemsize(self) -> int:
        ...
    @property
    def ndim(self) -> int:
        ...
    @property
    def offset(self) -> int:
        ...
    @property
    def shape(self) -> tuple:
        ...
    @property
    def strides(self) -> tuple:
        ...
    @property
    def version(self) -> int:
        ...
def _isa_level() -> str:
    """
    the ISA those kernels run now: the CPU's widest under the cap
    """
def _set_isa_cap(arg0: str) -> None:
    """
    cap the vector ISA of the float32 softmax, cross-entropy and im2col/col2im kernels ('avx512', the default, takes the widest the CPU has); for tests of each path
    """
def _conv2d_profile(arg0: bool) -> dict:
    """
    bench hook: {phase: thread-seconds} since the last call; then enables or disables counting
    """
def _conv2d_set_implicit(enabled: bool) -> bool:
    """
    whether convolutions may read their im2col matrix from the input itself (tests, benchmarks); returns the previous setting
    """
def _conv2d_set_col_budget(arg0: typing.SupportsInt | typing.SupportsIndex) -> int:
    """
    sets the im2col tile budget per worker in bytes (tests); returns the previous one
    """
def _storage_next_serial() -> int:
    """
    The serial number the next storage made will get.
    """
def _cpu_cached_bytes() -> int:
    """
    Bytes of freed large CPU blocks kept for reuse.
    """
def _cpu_empty_cache() -> None:
    """
    Returns the cached large CPU blocks to the system.
    """
def _gemm_(c: Array, a: Array, b: Array, alpha: typing.SupportsFloat | typing.SupportsIndex, beta: typing.SupportsFloat | typing.SupportsIndex) -> None:
    """
    test hook: c = alpha * a @ b + beta * c in place
    """
def _gemm_kernel() -> str:
    """
    the GEMM micro-kernel in use: 'avx512', 'avx2' or 'portable'
    """
def _set_gemm_kernel(arg0: str) -> None:
    """
    test hook: 'auto', 'portable', 'avx2' or 'avx512'
    """
def abs(arg0: Array) -> Array:
    """
    |a|
    """
def adam_step(params: collections.abc.Sequence[Array], grads: collections.abc.Sequence[Array], exp_avgs: collections.abc.Sequence[Array], exp_avg_sqs: collections.abc.Sequence[Array], max_exp_avg_sqs: collections.abc.Sequence[Array], steps: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], lr: typing.SupportsFloat | typing.SupportsIndex, beta1: typing.SupportsFloat | typing.SupportsIndex, beta2: typing.SupportsFloat | typing.SupportsIndex, eps: typing.SupportsFloat | typing.SupportsIndex, weight_decay: typing.SupportsFloat | typing.SupportsIndex, decoupled: bool, amsgrad: bool, maximize: bool, reference: bool = False) -> None:
    """
    one fused Adam/AdamW step over lists of tensors, in place (steps: after this step)
    """
def adam_uses_avx2() -> bool:
    """
    whether adam_step runs its AVX2/FMA kernel on this CPU
    """
def add(arg0: Array, arg1: Array) -> Array:
    """
    a + b with broadcasting
    """
def all(a: Array, dims: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] | None, keepdim: bool = False) -> Array:
    """
    true where every element is nonzero (bool)
    """
def amax(a: Array, dims: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] | None, keepdim: bool = False) -> Array:
    """
    max over dims, NaN-propagating
    """
def amin(a: Array, dims: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] | None, keepdim: bool = False) -> Array:
    """
    min over dims, NaN-propagating
    """
def any(a: Array, dims: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] | None, keepdim: bool = False) -> Array:
    """
    true where some element is nonzero (bool)
    """
def arange(arg0: typing.SupportsFloat | typing.SupportsIndex, arg1: typing.SupportsFloat | typing.SupportsIndex, arg2: typing.SupportsFloat | typing.SupportsIndex, arg3: DType, arg4: Device) -> Array:
    ...
def argmax(a: Array, dim: typing.SupportsInt | typing.SupportsIndex | None, keepdim: bool = False) -> Array:
    """
    index of the first max along dim (None: flattened)
    """
def argmin(a: Array, dim: typing.SupportsInt | typing.SupportsIndex | None, keepdim: bool = False) -> Array:
    """
    index of the first min along dim (None: flattened)
    """
def avg_pool2d(input: Array, kernel_size: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], stride: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], padding: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], ceil_mode: bool, count_include_pad: bool, divisor_override: typing.SupportsInt | typing.SupportsIndex | None) -> Array:
    """
    2-D average pooling
    """
def avg_pool2d_backward(grad_output: Array, input_shape: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], kernel_size: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], stride: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], padding: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], ceil_mode: bool, count_include_pad: bool, divisor_override: typing.SupportsInt | typing.SupportsIndex | None) -> Array:
    """
    input gradient of avg_pool2d
    """
def batch_norm(x: Array, running_mean: Array | None, running_var: Array | None, weight: Array | None, bias: Array | None, training: bool, momentum: typing.SupportsFloat | typing.SupportsIndex, eps: typing.SupportsFloat | typing.SupportsIndex) -> tuple[Array, Array, Array]:
    """
    batch normalisation: (y, mean, invstd); updates the running statistics in training
    """
def batch_norm_backward(arg0: Array, arg1: Array, arg2: Array | None, arg3: Array, arg4: Array, arg5: bool, arg6: bool, arg7: bool, arg8: bool) -> tuple[Array | None, Array | None, Array | None]:
    """
    gradients (x, weight, bias) of batch_norm, None where not asked for
    """
def binary_cross_entropy(arg0: Array, arg1: Array, arg2: Array | None, arg3: str) -> Array:
    """
    binary cross-entropy of probabilities
    """
def binary_cross_entropy_with_logits(arg0: Array, arg1: Array, arg2: Array | None, arg3: Array | None, arg4: str) -> Array:
    """
    binary cross-entropy of logits (stable), with optional pos_weight
    """
def bitwise_and(arg0: Array, arg1: Array) -> Array:
    """
    a & b for bool/int64
    """
def bitwise_not(arg0: Array) -> Array:
    """
    ~a (logical not for bool)
    """
def bitwise_or(arg0: Array, arg1: Array) -> Array:
    """
    a | b for bool/int64
    """
def bitwise_xor(arg0: Array, arg1: Array) -> Array:
    """
    a ^ b for bool/int64
    """
def cat(arg0: collections.abc.Sequence[Array], arg1: typing.SupportsInt | typing.SupportsIndex) -> Array:
    """
    concatenate along an existing dim
    """
def clamp(a: Array, min: typing.SupportsFloat | typing.SupportsIndex | None = None, max: typing.SupportsFloat | typing.SupportsIndex | None = None) -> Array:
    """
    clamp(a, min, max)
    """
def contiguous(arg0: Array) -> Array:
    """
    contiguous copy (or a itself)
    """
def conv2d_backward(grad_output: Array, input: Array, weight: Array, stride: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], padding: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], dilation: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], input_grad: bool, weight_grad: bool, bias_grad: bool, relu_output: Array | None = None) -> tuple[Array | None, Array | None, Array | None]:
    """
    (grad_input, grad_weight, grad_bias) of conv2d, None where not asked for; with relu_output, of the fused conv2d + relu whose output it is
    """
def conv2d_forward(input: Array, weight: Array, bias: Array | None, stride: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], padding: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], dilation: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], relu: bool = False) -> Array:
    """
    conv2d (NCHW or CHW) by im2col + GEMM; stride/padding/dilation as [v] or [h, w]; relu=True fuses a following relu
    """
def copy_(arg0: Array, arg1: Array) -> None:
    """
    dst[...] = src (broadcast, converted)
    """
def cos(arg0: Array) -> Array:
    """
    cosine
    """
def cross_entropy(logits: Array, target: Array, weight: Array | None, ignore_index: typing.SupportsInt | typing.SupportsIndex, label_smoothing: typing.SupportsFloat | typing.SupportsIndex, reduction: str) -> tuple[Array, Array]:
    """
    fused softmax cross-entropy from logits: (loss, lse)
    """
def cross_entropy_backward(arg0: Array, arg1: Array, arg2: Array, arg3: Array | None, arg4: Array, arg5: typing.SupportsInt | typing.SupportsIndex, arg6: typing.SupportsFloat | typing.SupportsIndex, arg7: str) -> Array:
    """
    gradient of cross_entropy w.r.t. the logits (softmax minus target, scaled)
    """
def cuda_allow_tf32() -> bool:
    """
    whether float32 GPU products may use TF32
    """
def cuda_built() -> bool:
    ...
def cuda_device_count() -> int:
    ...
def cuda_empty_cache() -> None:
    ...
def cuda_malloc_count() -> int:
    ...
def cuda_max_memory_allocated(device: typing.SupportsInt | typing.SupportsIndex) -> int:
    ...
def cuda_memory_allocated(device: typing.SupportsInt | typing.SupportsIndex) -> int:
    ...
def cuda_memory_reserved(device: typing.SupportsInt | typing.SupportsIndex) -> int:
    ...
def cuda_reset_peak_memory_stats(device: typing.SupportsInt | typing.SupportsIndex) -> None:
    ...
def cuda_set_allow_tf32(allow: bool) -> None:
    """
    torch.backends.cuda.matmul.allow_tf32 = allow: float32 GPU products may use TF32
    """
def cuda_synchronize() -> None:
    ...
def div(arg0: Array, arg1: Array) -> Array:
    """
    a / b (true division) with broadcasting
    """
def dropout(arg0: Array, arg1: typing.SupportsFloat | typing.SupportsIndex) -> tuple[Array, int, int]:
    """
    inverted dropout with the default generator: (out, seed, offset)
    """
def dropout_backward(arg0: Array, arg1: typing.SupportsFloat | typing.SupportsIndex, arg2: typing.SupportsInt | typing.SupportsIndex, arg3: typing.SupportsInt | typing.SupportsIndex) -> Array:
    """
    the gradient through the dropout mask drawn at (seed, offset)
    """
def elu(arg0: Array, arg1: typing.SupportsFloat | typing.SupportsIndex) -> Array:
    """
    x if x > 0 else alpha * (exp(x) - 1)
    """
def elu_backward(arg0: Array, arg1: Array, arg2: typing.SupportsFloat | typing.SupportsIndex) -> Array:
    """
    grad * (x > 0 ? 1 : alpha * exp(x))
    """
def empty(arg0: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], arg1: DType, arg2: Device) -> Array:
    ...
def eq(arg0: Array, arg1: Array) -> Array:
    """
    a == b (bool)
    """
def exp(arg0: Array) -> Array:
    """
    e ** a
    """
def expand(arg0: Array, arg1: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]) -> Array:
    """
    broadcast to a shape (view)
    """
def fill_(arg0: Array, arg1: typing.SupportsFloat | typing.SupportsIndex) -> None:
    """
    dst[...] = value
    """
def flatten(arg0: Array, arg1: typing.SupportsInt | typing.SupportsIndex, arg2: typing.SupportsInt | typing.SupportsIndex) -> Array:
    """
    merge dims start_dim..end_dim
    """
def from_dlpack(arg0: typing.Any) -> Array:
    """
    an Array sharing the memory of a DLPack capsule
    """
def from_numpy(arg0: numpy.ndarray) -> Array:
    """
    Array sharing a numpy array's memory
    """
def full(arg0: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], arg1: typing.SupportsFloat | typing.SupportsIndex, arg2: DType, arg3: Device) -> Array:
    ...
def gather(arg0: Array, arg1: typing.SupportsInt | typing.SupportsIndex, arg2: Array) -> Array:
    """
    out[...i...] = a[...index[...i...]...] along dim
    """
def ge(arg0: Array, arg1: Array) -> Array:
    """
    a >= b (bool)
    """
def get_num_threads() -> int:
    ...
def get_rng_state() -> tuple[int, int]:
    ...
def gt(arg0: Array, arg1: Array) -> Array:
    """
    a > b (bool)
    """
def index(a: Array, indices: collections.abc.Sequence[Array | None]) -> Array:
    """
    a[indices]: one entry per leading dim, None or an int64 array (a new array)
    """
def index_put_(a: Array, indices: collections.abc.Sequence[Array | None], values: Array, accumulate: bool = False) -> None:
    """
    a[indices] = values (+= with accumulate, duplicates summed), in place
    """
def initial_seed() -> int:
    ...
def isnan(arg0: Array) -> Array:
    """
    a != a
    """
def l1_loss(arg0: Array, arg1: Array, arg2: str) -> Array:
    """
    mean absolute error
    """
def le(arg0: Array, arg1: Array) -> Array:
    """
    a <= b (bool)
    """
def leaky_relu(arg0: Array, arg1: typing.SupportsFloat | typing.SupportsIndex) -> Array:
    """
    x if x > 0 else negative_slope * x
    """
def leaky_relu_backward(arg0: Array, arg1: Array, arg2: typing.SupportsFloat | typing.SupportsIndex) -> Array:
    """
    grad * (x > 0 ? 1 : negative_slope)
    """
def linear(input: Array, weight: Array, bias: Array | None = None) -> Array:
    """
    input @ weight^T + bias in one GEMM (bias as the initial C)
    """
def log(arg0: Array) -> Array:
    """
    natural logarithm
    """
def log_softmax(arg0: Array, arg1: typing.SupportsInt | typing.SupportsIndex) -> Array:
    """
    x - max - log(sum(exp(x - max))) along dim
    """
def log_softmax_backward(arg0: Array, arg1: Array, arg2: typing.SupportsInt | typing.SupportsIndex) -> Array:
    """
    grad - exp(out) * sum(grad, dim)
    """
def lt(arg0: Array, arg1: Array) -> Array:
    """
    a < b (bool)
    """
def manual_seed(arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
    ...
def matmul(arg0: Array, arg1: Array) -> Array:
    """
    matrix product with PyTorch's rank rules and batch broadcasting
    """
def max_dim(a: Array, dim: typing.SupportsInt | typing.SupportsIndex, keepdim: bool = False) -> tuple[Array, Array]:
    """
    (values, indices) of the max along dim
    """
def max_pool2d(input: Array, kernel_size: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], stride: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], padding: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], dilation: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], ceil_mode: bool) -> tuple[Array, Array]:
    """
    (out, indices) of 2-D max pooling; an empty stride means the kernel size
    """
def max_pool2d_backward(grad_output: Array, indices: Array, input_shape: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], kernel_size: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], stride: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], padding: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], dilation: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], ceil_mode: bool) -> Array:
    """
    input gradient of max_pool2d from its indices
    """
def maximum(arg0: Array, arg1: Array) -> Array:
    """
    elementwise maximum, NaN-propagating
    """
def mean(a: Array, dims: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] | None, keepdim: bool = False) -> Array:
    """
    mean over dims (floating inputs)
    """
def min_dim(a: Array, dim: typing.SupportsInt | typing.SupportsIndex, keepdim: bool = False) -> tuple[Array, Array]:
    """
    (values, indices) of the min along dim
    """
def minimum(arg0: Array, arg1: Array) -> Array:
    """
    elementwise minimum, NaN-propagating
    """
def mse_loss(arg0: Array, arg1: Array, arg2: str) -> Array:
    """
    mean squared error
    """
def mul(arg0: Array, arg1: Array) -> Array:
    """
    a * b with broadcasting
    """
def multi_margin_loss(arg0: Array, arg1: Array, arg2: typing.SupportsInt | typing.SupportsIndex, arg3: typing.SupportsFloat | typing.SupportsIndex, arg4: Array | None, arg5: str) -> Array:
    """
    multi-class hinge loss
    """
def multi_margin_loss_backward(arg0: Array, arg1: Array, arg2: Array, arg3: typing.SupportsInt | typing.SupportsIndex, arg4: typing.SupportsFloat | typing.SupportsIndex, arg5: Array | None, arg6: str) -> Array:
    """
    gradient of multi_margin_loss w.r.t. the input
    """
def ne(arg0: Array, arg1: Array) -> Array:
    """
    a != b (bool)
    """
def neg(arg0: Array) -> Array:
    """
    -a
    """
def nll_loss(arg0: Array, arg1: Array, arg2: Array | None, arg3: typing.SupportsInt | typing.SupportsIndex, arg4: str) -> Array:
    """
    negative log-likelihood of log-probabilities
    """
def nll_loss_backward(arg0: Array, arg1: Array, arg2: Array, arg3: Array | None, arg4: typing.SupportsInt | typing.SupportsIndex, arg5: str) -> Array:
    """
    gradient of nll_loss w.r.t. the input
    """
def nonzero(arg0: Array) -> Array:
    """
    (n, ndim) int64 positions of the non-zero elements
    """
def optim_addcdiv_(out: Array, alpha: typing.SupportsFloat | typing.SupportsIndex, t1: Array, t2: Array, value: typing.SupportsFloat | typing.SupportsIndex) -> None:
    """
    out = alpha*out + value*t1/t2, in place
    """
def optim_addcmul_(out: Array, alpha: typing.SupportsFloat | typing.SupportsIndex, t1: Array, t2: Array, value: typing.SupportsFloat | typing.SupportsIndex) -> None:
    """
    out = alpha*out + value*t1*t2, in place
    """
def optim_axpby_(out: Array, alpha: typing.SupportsFloat | typing.SupportsIndex, x: Array, beta: typing.SupportsFloat | typing.SupportsIndex) -> None:
    """
    out = alpha*out + beta*x, in place
    """
def permute(arg0: Array, arg1: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]) -> Array:
    """
    reorder dims (view)
    """
def pointwise_loss_backward(arg0: str, arg1: Array, arg2: Array, arg3: Array, arg4: Array | None, arg5: Array | None, arg6: str, arg7: bool) -> Array:
    """
    gradient of an elementwise loss w.r.t. its input or target
    """
def pow(arg0: Array, arg1: Array) -> Array:
    """
    a ** b with broadcasting
    """
def rand(arg0: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], arg1: DType, arg2: Device) -> Array:
    ...
def randint(arg0: typing.SupportsInt | typing.SupportsIndex, arg1: typing.SupportsInt | typing.SupportsIndex, arg2: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], arg3: DType, arg4: Device) -> Array:
    ...
def randn(arg0: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], arg1: DType, arg2: Device) -> Array:
    ...
def relu(arg0: Array) -> Array:
    """
    max(a, 0)
    """
def relu_backward(arg0: Array, arg1: Array) -> Array:
    """
    grad * (out > 0)
    """
def reshape(arg0: Array, arg1: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]) -> Array:
    """
    view when possible, else a copy
    """
def scalar(arg0: typing.SupportsFloat | typing.SupportsIndex, arg1: DType) -> Array:
    """
    0-d array holding v
    """
def scatter_add_(arg0: Array, arg1: typing.SupportsInt | typing.SupportsIndex, arg2: Array, arg3: Array) -> None:
    """
    a[...index[...i...]...] += src[...i...] along dim, in place
    """
def select(arg0: Array, arg1: typing.SupportsInt | typing.SupportsIndex, arg2: typing.SupportsInt | typing.SupportsIndex) -> Array:
    """
    a[index] along dim (view)
    """
def set_num_threads(arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
    ...
def set_rng_state(arg0: typing.SupportsInt | typing.SupportsIndex, arg1: typing.SupportsInt | typing.SupportsIndex) -> None:
    ...
def sigmoid(arg0: Array) -> Array:
    """
    1 / (1 + exp(-a)), overflow-free
    """
def sigmoid_backward(arg0: Array, arg1: Array) -> Array:
    """
    grad * out * (1 - out)
    """
def sign(arg0: Array) -> Array:
    """
    -1, 0 or 1 by sign
    """
def sin(arg0: Array) -> Array:
    """
    sine
    """
def slice(arg0: Array, arg1: typing.SupportsInt | typing.SupportsIndex, arg2: typing.SupportsInt | typing.SupportsIndex | None, arg3: typing.SupportsInt | typing.SupportsIndex | None, arg4: typing.SupportsInt | typing.SupportsIndex) -> Array:
    """
    a[start:stop:step] along dim (view)
    """
def softmax(arg0: Array, arg1: typing.SupportsInt | typing.SupportsIndex) -> Array:
    """
    exp(x - max) / sum(exp(x - max)) along dim
    """
def softmax_backward(arg0: Array, arg1: Array, arg2: typing.SupportsInt | typing.SupportsIndex) -> Array:
    """
    out * (grad - sum(grad * out, dim))
    """
def sqrt(arg0: Array) -> Array:
    """
    square root
    """
def squeeze(a: Array, dims: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] | None = None) -> Array:
    """
    drop size-1 dims (view)
    """
def stack(arg0: collections.abc.Sequence[Array], arg1: typing.SupportsInt | typing.SupportsIndex) -> Array:
    """
    stack along a new dim
    """
def std(a: Array, dims: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] | None, correction: typing.SupportsFloat | typing.SupportsIndex = 1.0, keepdim: bool = False) -> Array:
    """
    standard deviation: sqrt of var
    """
def sub(arg0: Array, arg1: Array) -> Array:
    """
    a - b with broadcasting
    """
def sum(a: Array, dims: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] | None, keepdim: bool = False) -> Array:
    """
    sum over dims (None or [] = all); bool/int64 give int64
    """
def tanh(arg0: Array) -> Array:
    """
    hyperbolic tangent
    """
def tanh_backward(arg0: Array, arg1: Array) -> Array:
    """
    grad * (1 - out^2)
    """
def to_device(arg0: Array, arg1: Device) -> Array:
    ...
def to_dlpack(a: Array, max_version: typing.Any = None) -> typing.Any:
    """
    a DLPack PyCapsule sharing the array's memory ('dltensor', or 'dltensor_versioned' when max_version >= (1, 0))
    """
def to_dtype(a: Array, dtype: DType, copy: bool = False) -> Array:
    """
    convert to dtype
    """
def to_numpy(arg0: Array) -> numpy.ndarray:
    """
    numpy view of a CPU array (shares memory)
    """
def transpose(arg0: Array, arg1: typing.SupportsInt | typing.SupportsIndex, arg2: typing.SupportsInt | typing.SupportsIndex) -> Array:
    """
    swap two dims (view)
    """
def unsqueeze(arg0: Array, arg1: typing.SupportsInt | typing.SupportsIndex) -> Array:
    """
    insert a size-1 dim (view)
    """
def var(a: Array, dims: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] | None, correction: typing.SupportsFloat | typing.SupportsIndex = 1.0, keepdim: bool = False) -> Array:
    """
    variance over dims with divisor max(0, n - correction)
    """
def view(arg0: Array, arg1: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]) -> Array:
    """
    view with another shape (never copies)
    """
def where(arg0: Array, arg1: Array, arg2: Array) -> Array:
    """
    cond ? a : b with broadcasting
    """
