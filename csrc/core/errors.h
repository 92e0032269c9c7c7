// C++ exception types, each mapped to one Python exception type at the
// binding boundary (csrc/python/module.cpp), and message helpers.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>
#include <cstdint>

namespace dc {

struct TypeError : std::runtime_error { using std::runtime_error::runtime_error; };
struct ValueError : std::runtime_error { using std::runtime_error::runtime_error; };
// Incompatible or invalid shapes: Python's dc.ShapeError, a subclass of both
// ValueError and RuntimeError (PyTorch raises RuntimeError for these).
struct ShapeError : std::runtime_error { using std::runtime_error::runtime_error; };
struct IndexError : std::runtime_error { using std::runtime_error::runtime_error; };
struct RuntimeError : std::runtime_error { using std::runtime_error::runtime_error; };
struct NotImplementedError : std::runtime_error { using std::runtime_error::runtime_error; };

namespace detail {
inline void append(std::ostringstream&) {}
template <class T, class... R>
void append(std::ostringstream& os, const T& v, const R&... rest) {
  os << v;
  append(os, rest...);
}
}  // namespace detail

// str("matmul: shapes ", a, " and ", b) builds a message from any streamable parts.
template <class... Parts>
std::string str(const Parts&... parts) {
  std::ostringstream os;
  detail::append(os, parts...);
  return os.str();
}

// Formats a shape as Python prints a tuple: (3, 4), (5,), ().
std::string shape_str(const std::vector<int64_t>& shape);

template <class E = RuntimeError, class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  throw E(str(parts...));
}

}  // namespace dc
