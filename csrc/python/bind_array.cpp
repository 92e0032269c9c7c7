// The Array class, numpy interop, creation functions, threads, the random
// generator and the device queries.
#include <pybind11/numpy.h>
#include "core/cuda_runtime.h"
#include "core/random.h"
#include "core/threads.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "python/bindings.h"

namespace dc::python {

namespace {

py::dtype numpy_dtype(DType t) {
  switch (t) {
    case DType::Bool: return py::dtype::of<bool>();
    case DType::Int64: return py::dtype::of<int64_t>();
    case DType::Float32: return py::dtype::of<float>();
    case DType::Float64: return py::dtype::of<double>();
  }
  return py::dtype::of<float>();
}

DType dtype_from_numpy(const py::dtype& dt) {
  char kind = dt.kind();
  int64_t size = dt.itemsize();
  if (kind == 'b' && size == 1) return DType::Bool;
  if (kind == 'i' && size == 8) return DType::Int64;
  if (kind == 'f' && size == 4) return DType::Float32;
  if (kind == 'f' && size == 8) return DType::Float64;
  fail<TypeError>("from_numpy: numpy dtype ", std::string(py::str(dt)),
                  " is not supported (deepcore has float32, float64, int64 and bool)");
}

// A numpy array viewing the array's memory; the capsule keeps the storage alive.
py::array to_numpy(const Array& a) {
  if (!a.device().is_cpu())
    fail<TypeError>("numpy: can't convert a tensor on device '", a.device().str(),
                    "' to numpy; use .cpu() first");
  std::vector<py::ssize_t> shape(a.shape().begin(), a.shape().end());
  std::vector<py::ssize_t> strides(a.ndim());
  for (int64_t d = 0; d < a.ndim(); ++d) strides[d] = a.strides()[d] * a.itemsize();
  auto* keep = new Array(a);
  py::capsule owner(keep, [](void* p) { delete static_cast<Array*>(p); });
  return py::array(numpy_dtype(a.dtype()), shape, strides, a.data_ptr(), owner);
}

// Shares the numpy array's memory (any non-negative strides).
Array from_numpy(py::array arr) {
  DType dt = dtype_from_numpy(arr.dtype());
  int64_t isz = static_cast<int64_t>(itemsize(dt));
  Shape shape(arr.ndim()), strides(arr.ndim());
  int64_t span = isz;  // bytes from the first element to the end of the last
  bool empty = false;
  for (py::ssize_t d = 0; d < arr.ndim(); ++d) {
    shape[d] = arr.shape(d);
    if (arr.shape(d) == 0) empty = true;
    int64_t sb = arr.strides(d);
    if (sb < 0 || sb % isz != 0)
      fail<ValueError>("from_numpy: numpy strides ", shape_str(std::vector<int64_t>(
                           arr.strides(), arr.strides() + arr.ndim())),
                       " are negative or not a multiple of the item size; use a copy "
                       "(np.ascontiguousarray)");
    strides[d] = sb / isz;
    span += (arr.shape(d) - 1) * sb;
  }
  if (empty) span = 0;
  auto owner = std::shared_ptr<void>(new py::object(arr), [](void* p) {
    py::gil_scoped_acquire gil;
    delete static_cast<py::object*>(p);
  });
  auto storage = Storage::borrow(const_cast<void*>(arr.data()), span, Device{}, owner);
  return Array(storage, dt, shape, strides, 0);
}

py::object item(const Array& a) {
  if (a.numel() != 1)
    fail<ValueError>("item: a tensor with ", a.numel(), " elements cannot be converted to a Python scalar");
  Array c = a.device().is_cpu() ? a : to_device(a, Device{});
  return visit_dtype(c.dtype(), [&](auto t) -> py::object {
    using T = decltype(t);
    return py::cast(*c.data<T>());
  });
}

Device make_device(int type, int index) {
  if (type != 0 && type != 1) fail<ValueError>("device: unknown device type ", type);
  if (index < 0) fail<ValueError>("device: index must be >= 0, got ", index);
  return Device{static_cast<DeviceType>(type), index};
}

}  // namespace

void bind_array(py::module_& m) {
  py::enum_<DType>(m, "DType")
      .value("bool", DType::Bool)
      .value("int64", DType::Int64)
      .value("float32", DType::Float32)
      .value("float64", DType::Float64);

  py::class_<Device>(m, "Device")
      .def(py::init(&make_device), py::arg("type"), py::arg("index") = 0)
      .def_property_readonly("type", [](const Device& d) { return static_cast<int>(d.type); })
      .def_readonly("index", &Device::index)
      .def("__str__", &Device::str)
      .def("__eq__", &Device::operator==);

  py::class_<Array>(m, "Array", "A native n-d array (no autograd): dtype, shape, strides, offset")
      .def_property_readonly("shape", [](const Array& a) {
        py::tuple t(a.ndim());
        for (int64_t d = 0; d < a.ndim(); ++d) t[d] = py::int_(a.shape()[d]);
        return t;
      })
      .def_property_readonly("strides", [](const Array& a) {
        py::tuple t(a.ndim());
        for (int64_t d = 0; d < a.ndim(); ++d) t[d] = py::int_(a.strides()[d]);
        return t;
      })
      .def_property_readonly("dtype", &Array::dtype)
      .def_property_readonly("dtype_index", [](const Array& a) { return static_cast<int>(a.dtype()); })
      .def_property_readonly("device", &Array::device)
      .def_property_readonly("ndim", &Array::ndim)
      .def_property_readonly("offset", &Array::offset)
      .def_property_readonly("itemsize", &Array::itemsize)
      .def("numel", &Array::numel)
      .def("is_contiguous", &Array::is_contiguous)
      .def("data_ptr", [](const Array& a) { return reinterpret_cast<uintptr_t>(a.data_ptr()); })
      .def("storage_id", [](const Array& a) { return reinterpret_cast<uintptr_t>(a.storage().get()); })
      .def_property_readonly("version", [](const Array& a) { return a.storage()->version(); })
      // Whether this array alone holds memory of ours made at or after
      // `serial` (Storage::next_serial()): autograd then keeps it as a leaf's
      // gradient instead of copying it.
      .def("sole_owner_since", [](const Array& a, int64_t serial) {
        const auto& s = a.storage();
        return s && s.use_count() == 1 && s->owns_memory() && s->serial() >= serial;
      })
      .def("item", &item);

  m.def("to_numpy", &to_numpy, "numpy view of a CPU array (shares memory)");
  m.def("from_numpy", &from_numpy, "Array sharing a numpy array's memory");
  m.def("empty", &dc::empty);
  m.def("full", &dc::full);
  m.def("arange", &dc::arange);
  m.def("to_device", &dc::to_device);
  m.def("scalar", [](double v, DType t) { return scalar_array(v, t); },
        "0-d array holding v");
  m.def("rand", [](const Shape& s, DType t, Device d) { return dc::rand(s, t, d, default_generator()); });
  m.def("randn", [](const Shape& s, DType t, Device d) { return dc::randn(s, t, d, default_generator()); });
  m.def("randint", [](int64_t lo, int64_t hi, const Shape& s, DType t, Device d) {
    return dc::randint(lo, hi, s, t, d, default_generator());
  });
  m.def("manual_seed", [](uint64_t seed) { default_generator().manual_seed(seed); });
  m.def("initial_seed", []() { return default_generator().seed(); });
  m.def("get_rng_state", []() {
    return py::make_tuple(default_generator().seed(), default_generator().offset());
  });
  m.def("set_rng_state", [](uint64_t seed, uint64_t offset) {
    default_generator().manual_seed(seed);
    default_generator().set_offset(offset);
  });
  m.def("_storage_next_serial", &Storage::next_serial,
        "The serial number the next storage made will get.");
  m.def("_cpu_cached_bytes", &cpu_cached_bytes,
        "Bytes of freed large CPU blocks kept for reuse.");
  m.def("_cpu_empty_cache", &cpu_empty_cache, "Returns the cached large CPU blocks to the system.");

  m.def("get_num_threads", &get_num_threads);
  m.def("set_num_threads", [](int n) {
    if (n < 1) fail<ValueError>("set_num_threads: expected a positive number of threads, got ", n);
    set_num_threads(n);
  });

  m.def("cuda_built", &cuda::built_with_cuda);
  m.def("cuda_device_count", &cuda::device_count);
  m.def("cuda_synchronize", &cuda::synchronize);
  // Caching-allocator statistics (bytes; 0 without CUDA or before first use).
  m.def("cuda_memory_allocated", &cuda::memory_allocated, py::arg("device"));
  m.def("cuda_max_memory_allocated", &cuda::max_memory_allocated, py::arg("device"));
  m.def("cuda_memory_reserved", &cuda::memory_reserved, py::arg("device"));
  m.def("cuda_empty_cache", &cuda::empty_cache);
  m.def("cuda_reset_peak_memory_stats", &cuda::reset_peak_memory_stats, py::arg("device"));
  m.def("cuda_malloc_count", &cuda::malloc_count);
}

}  // namespace dc::python
