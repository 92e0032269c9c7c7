// DLPack: zero-copy exchange of arrays with numpy, PyTorch and any other
// DLPack producer/consumer (https://dmlc.github.io/dlpack/latest/).
//
// Export (to_dlpack) hands out a PyCapsule "dltensor" holding a
// DLManagedTensor (or "dltensor_versioned", a DLManagedTensorVersioned, for
// consumers asking for DLPack 1.x) whose manager_ctx owns a copy of the Array
// (so the storage lives until the consumer calls the deleter) and the
// shape/strides arrays.
// Import (from_dlpack) takes a "dltensor" or "dltensor_versioned" capsule,
// renames it "used_..." (the consumer now owns it) and wraps the memory in a
// borrowed Storage whose owner calls the producer's deleter when the last
// view is gone.
#include <Python.h>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>
#include "core/cuda_runtime.h"
#include "python/bindings.h"

namespace dc::python {

namespace {

// ---- The DLPack ABI (dlpack.h v1.0; the legacy DLManagedTensor is v0.8's).
enum DLDeviceTypeCode : int32_t { kDLCPU = 1, kDLCUDA = 2 };
enum DLDataTypeCode : uint8_t { kDLInt = 0, kDLUInt = 1, kDLFloat = 2, kDLOpaqueHandle = 3,
                                kDLBfloat = 4, kDLComplex = 5, kDLBool = 6 };

struct DLDevice {
  int32_t device_type;  // DLDeviceType, an int-sized C enum
  int32_t device_id;
};

struct DLDataType {
  uint8_t code;
  uint8_t bits;
  uint16_t lanes;
};

struct DLTensor {
  void* data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t* shape;
  int64_t* strides;  // in elements; NULL means compact row-major
  uint64_t byte_offset;
};

struct DLManagedTensor {
  DLTensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(DLManagedTensor* self);
};

struct DLPackVersion {
  uint32_t major;
  uint32_t minor;
};

struct DLManagedTensorVersioned {
  DLPackVersion version;
  void* manager_ctx;
  void (*deleter)(DLManagedTensorVersioned* self);
  uint64_t flags;
  DLTensor dl_tensor;
};

static_assert(sizeof(DLTensor) == 48, "DLTensor must match the DLPack ABI");
static_assert(sizeof(DLManagedTensor) == 64, "DLManagedTensor must match the DLPack ABI");
static_assert(sizeof(DLManagedTensorVersioned) == 80, "DLManagedTensorVersioned ABI");

constexpr uint32_t kDLPackMajor = 1;
constexpr uint32_t kDLPackMinor = 0;

// ---- Export

struct ExportContext {
  Array array;  // keeps the storage alive
  std::vector<int64_t> shape, strides;
};

DLDataType dl_dtype(DType t) {
  switch (t) {
    case DType::Bool: return {kDLBool, 8, 1};
    case DType::Int64: return {kDLInt, 64, 1};
    case DType::Float32: return {kDLFloat, 32, 1};
    case DType::Float64: return {kDLFloat, 64, 1};
  }
  return {kDLFloat, 32, 1};
}

template <class Managed>
void delete_exported(Managed* self) {
  delete static_cast<ExportContext*>(self->manager_ctx);
  delete self;
}

// The destructor of a capsule we produced: frees the tensor unless a consumer
// took it (renamed the capsule). Written as the DLPack spec's reference code.
template <class Managed>
void capsule_destructor(PyObject* capsule) {
  constexpr bool versioned = std::is_same_v<Managed, DLManagedTensorVersioned>;
  if (PyCapsule_IsValid(capsule, versioned ? "used_dltensor_versioned" : "used_dltensor")) return;
  PyObject *type, *value, *traceback;
  PyErr_Fetch(&type, &value, &traceback);
  auto* managed = static_cast<Managed*>(
      PyCapsule_GetPointer(capsule, versioned ? "dltensor_versioned" : "dltensor"));
  if (managed == nullptr) {
    PyErr_WriteUnraisable(capsule);
  } else if (managed->deleter) {
    managed->deleter(managed);
  }
  PyErr_Restore(type, value, traceback);
}

template <class Managed>
py::object export_capsule(const Array& a, const char* name) {
  auto ctx = std::make_unique<ExportContext>(ExportContext{a, a.shape(), a.strides()});
  auto managed = std::make_unique<Managed>();
  if constexpr (std::is_same_v<Managed, DLManagedTensorVersioned>) {
    managed->version = {kDLPackMajor, kDLPackMinor};
    managed->flags = 0;  // writable, not a copy
  }
  DLTensor& t = managed->dl_tensor;
  t.data = a.data_ptr();  // the offset is folded in; byte_offset stays 0 as most producers
  t.device = {a.device().is_cuda() ? kDLCUDA : kDLCPU, a.device().is_cuda() ? a.device().index : 0};
  t.ndim = static_cast<int32_t>(a.ndim());
  t.dtype = dl_dtype(a.dtype());
  t.shape = ctx->shape.data();
  t.strides = ctx->strides.data();
  t.byte_offset = 0;
  managed->manager_ctx = ctx.release();
  managed->deleter = &delete_exported<Managed>;
  PyObject* capsule = PyCapsule_New(managed.get(), name, &capsule_destructor<Managed>);
  if (!capsule) {
    delete_exported(managed.release());
    throw py::error_already_set();
  }
  managed.release();
  return py::reinterpret_steal<py::object>(capsule);
}

// A "dltensor_versioned" capsule when the consumer asks for DLPack >= 1.0
// (max_version=(1, x), as numpy does: it treats legacy capsules as read-only),
// else the legacy "dltensor".
py::object to_dlpack(const Array& a, const py::object& max_version) {
  if (!max_version.is_none() && py::len(max_version) >= 1 &&
      max_version[py::int_(0)].cast<int64_t>() >= 1)
    return export_capsule<DLManagedTensorVersioned>(a, "dltensor_versioned");
  return export_capsule<DLManagedTensor>(a, "dltensor");
}

// ---- Import

const char* dl_device_name(int32_t type) {
  switch (type) {
    case 1: return "cpu";
    case 2: return "cuda";
    case 3: return "cuda_host";
    case 4: return "opencl";
    case 7: return "vulkan";
    case 8: return "metal";
    case 9: return "vpi";
    case 10: return "rocm";
    case 11: return "rocm_host";
    case 12: return "ext_dev";
    case 13: return "cuda_managed";
    case 14: return "oneapi";
    case 15: return "webgpu";
    case 16: return "hexagon";
    case 17: return "maia";
  }
  return "unknown";
}

Device import_device(const DLDevice& d) {
  if (d.device_type == kDLCPU) return Device{};
  if (d.device_type == kDLCUDA && cuda::built_with_cuda()) {
    cuda::require_device("from_dlpack", d.device_id);
    return Device{DeviceType::CUDA, d.device_id};
  }
  fail<NotImplementedError>("from_dlpack: tensors on DLPack device '", dl_device_name(d.device_type),
                            ":", d.device_id, "' (device type ", d.device_type,
                            ") are not supported",
                            d.device_type == kDLCUDA ? " (deepcore was built without CUDA)" : "",
                            "; move the tensor to the CPU first");
}

DType import_dtype(const DLDataType& t) {
  if (t.lanes == 1) {
    if (t.code == kDLFloat && t.bits == 32) return DType::Float32;
    if (t.code == kDLFloat && t.bits == 64) return DType::Float64;
    if (t.code == kDLInt && t.bits == 64) return DType::Int64;
    if (t.code == kDLBool && t.bits == 8) return DType::Bool;
  }
  static const char* names[] = {"int", "uint", "float", "opaque", "bfloat", "complex", "bool"};
  std::string name = t.code < 7 ? str(names[t.code], int(t.bits)) : str("code ", int(t.code));
  if (t.lanes != 1) name += str("x", t.lanes);
  fail<TypeError>("from_dlpack: DLPack dtype ", name, " (code ", int(t.code), ", bits ",
                  int(t.bits), ", lanes ", t.lanes, ") is not supported (deepcore has float32, "
                  "float64, int64 and bool)");
}

// An Array viewing `t`'s memory, all checks done first; `consume` renames the
// capsule and returns the owner that calls the producer's deleter, and runs
// only once nothing can fail any more.
template <class Consume>
Array import_tensor(const DLTensor& t, Consume consume) {
  Device device = import_device(t.device);
  DType dtype = import_dtype(t.dtype);
  if (t.ndim < 0 || t.ndim > 64)
    fail<ValueError>("from_dlpack: ndim ", t.ndim, " is out of range (0 to 64 dims supported)");
  Shape shape(t.shape, t.shape + t.ndim);
  check_shape("from_dlpack", shape);
  Shape strides = t.strides && t.ndim > 0 ? Shape(t.strides, t.strides + t.ndim)
                                          : contiguous_strides(shape);
  const int64_t isz = static_cast<int64_t>(itemsize(dtype));
  int64_t span = isz;  // bytes from the first element to the end of the last
  for (int32_t d = 0; d < t.ndim; ++d) {
    if (shape[d] > 1 && strides[d] < 0)
      fail<ValueError>("from_dlpack: negative strides ", shape_str(strides),
                       " are not supported; pass a copy");
    if (shape[d] > 1) span += (shape[d] - 1) * strides[d] * isz;
  }
  if (shape_numel(shape) == 0) span = 0;
  if (t.data == nullptr && span > 0)
    fail<ValueError>("from_dlpack: the DLPack tensor has a NULL data pointer");
  void* data = static_cast<char*>(t.data) + t.byte_offset;
  std::shared_ptr<void> owner = consume();
  return Array(Storage::borrow(data, span, device, std::move(owner)), dtype, shape, strides, 0);
}

Array from_dlpack(const py::object& obj) {
  PyObject* capsule = obj.ptr();
  if (PyCapsule_IsValid(capsule, "dltensor")) {
    auto* managed = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule, "dltensor"));
    return import_tensor(managed->dl_tensor, [&] {
      if (PyCapsule_SetName(capsule, "used_dltensor") != 0) throw py::error_already_set();
      return std::shared_ptr<void>(managed, [](void* p) {
        auto* m = static_cast<DLManagedTensor*>(p);
        if (m->deleter) m->deleter(m);
      });
    });
  }
  if (PyCapsule_IsValid(capsule, "dltensor_versioned")) {
    auto* managed = static_cast<DLManagedTensorVersioned*>(
        PyCapsule_GetPointer(capsule, "dltensor_versioned"));
    // A newer major version may have another layout after `flags`: don't read it.
    if (managed->version.major > kDLPackMajor)
      throw py::buffer_error(str("from_dlpack: DLPack version ", managed->version.major, ".",
                                 managed->version.minor, " is not supported (at most ",
                                 kDLPackMajor, ".x)"));
    return import_tensor(managed->dl_tensor, [&] {
      if (PyCapsule_SetName(capsule, "used_dltensor_versioned") != 0)
        throw py::error_already_set();
      return std::shared_ptr<void>(managed, [](void* p) {
        auto* m = static_cast<DLManagedTensorVersioned*>(p);
        if (m->deleter) m->deleter(m);
      });
    });
  }
  if (PyCapsule_CheckExact(capsule)) {
    const char* name = PyCapsule_GetName(capsule);
    PyErr_Clear();
    std::string n = name ? name : "";
    if (n == "used_dltensor" || n == "used_dltensor_versioned")
      fail<ValueError>("from_dlpack: this DLPack capsule was already consumed (a capsule can "
                       "be used only once)");
    fail<TypeError>("from_dlpack: expected a DLPack capsule named 'dltensor' or "
                    "'dltensor_versioned', got a capsule named '", n, "'");
  }
  fail<TypeError>("from_dlpack: expected an object with __dlpack__ or a DLPack capsule, got ",
                  Py_TYPE(capsule)->tp_name);
}

}  // namespace

void bind_dlpack(py::module_& m) {
  m.def("to_dlpack", &to_dlpack, "a DLPack PyCapsule sharing the array's memory ('dltensor', "
        "or 'dltensor_versioned' when max_version >= (1, 0))", py::arg("a"),
        py::arg("max_version") = py::none());
  m.def("from_dlpack", &from_dlpack, "an Array sharing the memory of a DLPack capsule");
}

}  // namespace dc::python
