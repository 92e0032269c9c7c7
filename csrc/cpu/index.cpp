// Indexing kernels: gathers and scatters of blocks of elements.
//
// a[indices], with the index arrays broadcast to a shape B of nb positions
// and the dims of a that are not indexed forming a block of R elements:
//   out[b, r] = a[off(b) + r],   off(b) = sum_j idx_j[b] * stride_j
// (r stands for the block position's offset). No FLOPs: it moves nb*R
// elements (2 * nb*R * itemsize bytes, read and write) plus 8 bytes per index
// value read. off(b) is worked out in batches of 1024 positions on the stack;
// the copy is split over threads on the flat range nb*R, so many small
// blocks (embedding lookups, x[idx] on 1-D tensors) and a few big ones (two
// rows of a wide matrix) both use every core.
//
// index_put with accumulate adds into locations that repeat when indices do.
// To stay race-free and deterministic it splits the block positions r over
// threads, each adding the blocks in index order: a repeated index always sums
// in the same order (1-element blocks, as on 1-D tensors, run serially).
// gather/scatter_add are the same idea with one index per element along dim;
// scatter_add splits the positions off dim over threads and walks dim
// serially, so two writes to one location never race.
#include "cpu/index.h"
#include <algorithm>
#include <array>
#include <type_traits>
#include "core/threads.h"
#include "cpu/loops.h"

namespace dc::cpu {

namespace {

// Calls f(position, offset) for the row-major positions [begin, end) of
// `shape`; offset is the position's offset in elements under `strides`.
template <class F>
void walk(const Shape& shape, const Shape& strides, int64_t begin, int64_t end, F&& f) {
  if (begin >= end) return;
  const int nd = static_cast<int>(shape.size());
  std::array<int64_t, kMaxDims> idx{};
  int64_t off = 0, rest = begin;
  for (int d = nd - 1; d >= 0; --d) {
    idx[d] = rest % shape[d];
    rest /= shape[d];
    off += idx[d] * strides[d];
  }
  for (int64_t p = begin; p < end; ++p) {
    f(p, off);
    for (int d = nd - 1; d >= 0; --d) {
      off += strides[d];
      if (++idx[d] < shape[d]) break;
      off -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

// Fixed chunks for two-pass algorithms (their boundaries must not depend on
// how parallel_for splits a range).
int64_t num_chunks(int64_t n) {
  return std::clamp<int64_t>(n / kGrainSize, 1, 4 * static_cast<int64_t>(get_num_threads()));
}

// A block copied between two strided layouts, with dims merged where both
// layouts allow it (a contiguous row becomes one run).
struct Block {
  int nd = 1;
  std::array<int64_t, kMaxDims> size{}, src{}, dst{};  // strides in elements
};

Block make_block(const Shape& shape, const Shape& src, const Shape& dst) {
  Block g;
  int m = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (m > 0 && g.src[m - 1] == src[d] * shape[d] && g.dst[m - 1] == dst[d] * shape[d]) {
      g.size[m - 1] *= shape[d];
      g.src[m - 1] = src[d];
      g.dst[m - 1] = dst[d];
      continue;
    }
    g.size[m] = shape[d];
    g.src[m] = src[d];
    g.dst[m] = dst[d];
    ++m;
  }
  if (m == 0) {  // a single element
    g.size[0] = 1;
    m = 1;
  }
  g.nd = m;
  return g;
}

struct Assign {
  template <class T> void operator()(T& d, T s) const { d = s; }
};
struct Accumulate {
  template <class T> void operator()(T& d, T s) const {
    if constexpr (std::is_same_v<T, bool>) d = d || s;
    else d += s;
  }
};

// op(dst[r], src[r]) for the block positions r in [r0, r1).
template <class T, class Op>
void block_range(const T* src, T* dst, const Block& g, int64_t r0, int64_t r1, Op op) {
  const int nd = g.nd;
  const int64_t inner = g.size[nd - 1], ss = g.src[nd - 1], ds = g.dst[nd - 1];
  std::array<int64_t, kMaxDims> idx;
  int64_t rest = r0 / inner, i0 = r0 % inner, so = 0, dof = 0;
  for (int d = nd - 2; d >= 0; --d) {
    idx[d] = rest % g.size[d];
    rest /= g.size[d];
    so += idx[d] * g.src[d];
    dof += idx[d] * g.dst[d];
  }
  while (r0 < r1) {
    const int64_t n = std::min(inner - i0, r1 - r0);
    const T* s = src + so + i0 * ss;
    T* t = dst + dof + i0 * ds;
    if (ss == 1 && ds == 1) {
      for (int64_t i = 0; i < n; ++i) op(t[i], s[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) op(t[i * ds], s[i * ss]);
    }
    r0 += n;
    i0 = 0;
    for (int d = nd - 2; d >= 0; --d) {
      so += g.src[d];
      dof += g.dst[d];
      if (++idx[d] < g.size[d]) break;
      so -= g.src[d] * g.size[d];
      dof -= g.dst[d] * g.size[d];
      idx[d] = 0;
    }
  }
}

// Positions are handled in batches whose offsets fit on the stack.
constexpr int64_t kBatch = 1024;

// off[k] = sum_j wrap(idx_j[b]) * a.strides[dims[j]] for the positions
// b = b0 + k < b0 + n of B: where each block starts in a.
void index_offsets(const Array& a, const IndexPlan& p, int64_t b0, int64_t n, int64_t* off) {
  std::fill(off, off + n, int64_t(0));
  for (size_t j = 0; j < p.idx.size(); ++j) {
    const int64_t* base = p.idx[j].data<int64_t>();
    const int64_t size = a.shape()[p.dims[j]], stride = a.strides()[p.dims[j]];
    walk(p.bshape, p.idx[j].strides(), b0, b0 + n, [&](int64_t b, int64_t o) {
      const int64_t v = base[o];
      off[b - b0] += (v < 0 ? v + size : v) * stride;
    });
  }
}

// off[k] = the offset of position b0 + k of `shape` under `strides`.
void position_offsets(const Shape& shape, const Shape& strides, int64_t b0, int64_t n, int64_t* off) {
  walk(shape, strides, b0, b0 + n, [&](int64_t b, int64_t o) { off[b - b0] = o; });
}

// Strides of an array with plan.result_shape, split into B's dims and the rest.
void split_result(const Array& r, const IndexPlan& p, Shape* bstr, Shape* rstr) {
  const Shape& s = r.strides();
  const size_t nbd = p.bshape.size();
  bstr->assign(s.begin() + p.b_at, s.begin() + p.b_at + nbd);
  rstr->assign(s.begin(), s.begin() + p.b_at);
  rstr->insert(rstr->end(), s.begin() + p.b_at + nbd, s.end());
}

void rest_of(const Array& a, const IndexPlan& p, Shape* shape, Shape* strides) {
  for (int64_t d : p.rest) {
    shape->push_back(a.shape()[d]);
    strides->push_back(a.strides()[d]);
  }
}

template <class T>
void index_typed(const Array& out, const Array& a, const IndexPlan& p) {
  Shape rshape, astr, bstr, ostr;
  rest_of(a, p, &rshape, &astr);
  split_result(out, p, &bstr, &ostr);
  const int64_t nb = shape_numel(p.bshape), R = shape_numel(rshape);
  if (nb == 0 || R == 0) return;
  // out is contiguous and B's dims are consecutive in it: block b starts at b * bstride.
  int64_t bstride = 1;
  for (size_t d = p.b_at + p.bshape.size(); d < p.result_shape.size(); ++d) bstride *= p.result_shape[d];
  const T* ap = a.data<T>();
  T* op = out.data<T>();
  if (R == 1) {
    parallel_for(0, nb, kGrainSize, [&](int64_t b0, int64_t b1) {
      int64_t off[kBatch];
      for (int64_t bb = b0; bb < b1; bb += kBatch) {
        const int64_t n = std::min(kBatch, b1 - bb);
        index_offsets(a, p, bb, n, off);
        for (int64_t k = 0; k < n; ++k) op[(bb + k) * bstride] = ap[off[k]];
      }
    });
    return;
  }
  const Block g = make_block(rshape, astr, ostr);
  parallel_for(0, nb * R, kGrainSize, [&](int64_t s, int64_t e) {
    int64_t off[kBatch];
    const int64_t first = s / R, end = (e - 1) / R + 1;  // the blocks this chunk touches
    for (int64_t bb = first; bb < end; bb += kBatch) {
      const int64_t n = std::min(kBatch, end - bb);
      index_offsets(a, p, bb, n, off);
      for (int64_t k = 0; k < n; ++k) {
        const int64_t b = bb + k;
        block_range(ap + off[k], op + b * bstride, g, std::max<int64_t>(s - b * R, 0),
                    std::min(e - b * R, R), Assign{});
      }
    }
  });
}

template <class T, class Op>
void index_put_typed(const Array& a, const Array& v, const IndexPlan& p, Op op) {
  Shape rshape, astr, bstr, vstr;
  rest_of(a, p, &rshape, &astr);
  split_result(v, p, &bstr, &vstr);
  const int64_t nb = shape_numel(p.bshape), R = shape_numel(rshape);
  if (nb == 0 || R == 0) return;
  T* ap = a.data<T>();
  const T* vp = v.data<T>();
  if (R == 1) {  // in index order: the last write wins, sums have a fixed order
    int64_t dst[kBatch], src[kBatch];
    for (int64_t bb = 0; bb < nb; bb += kBatch) {
      const int64_t n = std::min(kBatch, nb - bb);
      index_offsets(a, p, bb, n, dst);
      position_offsets(p.bshape, bstr, bb, n, src);
      for (int64_t k = 0; k < n; ++k) op(ap[dst[k]], vp[src[k]]);
    }
    return;
  }
  // Every thread walks all blocks: work out their offsets once.
  std::vector<int64_t> dst(nb), src(nb);
  parallel_for(0, nb, kGrainSize, [&](int64_t b0, int64_t b1) {
    index_offsets(a, p, b0, b1 - b0, dst.data() + b0);
    position_offsets(p.bshape, bstr, b0, b1 - b0, src.data() + b0);
  });
  const Block g = make_block(rshape, vstr, astr);
  // Threads own disjoint block positions; at least 64 each, so that they do
  // not share cache lines of the destination.
  const int64_t grain = std::max<int64_t>(kGrainSize / nb, 64);
  parallel_for(0, R, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t b = 0; b < nb; ++b) block_range(vp + src[b], ap + dst[b], g, r0, r1, op);
  });
}

}  // namespace

void index(const Array& out, const Array& a, const IndexPlan& plan) {
  visit_dtype(a.dtype(), [&](auto t) { index_typed<decltype(t)>(out, a, plan); });
}

void index_put(const Array& a, const Array& values, const IndexPlan& plan, bool accumulate) {
  visit_dtype(a.dtype(), [&](auto t) {
    using T = decltype(t);
    if (accumulate) index_put_typed<T>(a, values, plan, Accumulate{});
    else index_put_typed<T>(a, values, plan, Assign{});
  });
}

bool find_out_of_range(const Array& index, int64_t lo, int64_t hi, int64_t* bad) {
  const int64_t n = index.numel();
  if (n == 0) return false;
  const int64_t chunks = num_chunks(n);
  std::vector<int64_t> first(chunks, -1), value(chunks, 0);
  const int64_t* base = index.data<int64_t>();
  parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      walk(index.shape(), index.strides(), n * c / chunks, n * (c + 1) / chunks,
           [&](int64_t p, int64_t o) {
             const int64_t v = base[o];
             if ((v < lo || v >= hi) && first[c] < 0) {
               first[c] = p;
               value[c] = v;
             }
           });
    }
  });
  for (int64_t c = 0; c < chunks; ++c) {
    if (first[c] >= 0) {
      *bad = value[c];
      return true;
    }
  }
  return false;
}

Array nonzero(const Array& a) {
  const int64_t n = a.numel(), nd = a.ndim();
  if (n == 0) return Array::empty({0, nd}, DType::Int64, a.device());
  return visit_dtype(a.dtype(), [&](auto t) {
    using T = decltype(t);
    const T* x = a.data<T>();
    const int64_t chunks = num_chunks(n);
    auto begin = [&](int64_t c) { return n * c / chunks; };
    std::vector<int64_t> count(chunks + 1, 0);
    parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        int64_t k = 0;
        for (int64_t i = begin(c); i < begin(c + 1); ++i) k += x[i] != T(0);
        count[c + 1] = k;
      }
    });
    for (int64_t c = 0; c < chunks; ++c) count[c + 1] += count[c];
    Array out = Array::empty({count[chunks], nd}, DType::Int64, a.device());
    int64_t* o = out.data<int64_t>();
    const Shape& shape = a.shape();
    parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        std::array<int64_t, kMaxDims> idx{};
        int64_t rest = begin(c);
        for (int64_t d = nd - 1; d >= 0; --d) {
          idx[d] = rest % shape[d];
          rest /= shape[d];
        }
        int64_t* row = o + count[c] * nd;
        for (int64_t i = begin(c); i < begin(c + 1); ++i) {
          if (x[i] != T(0)) {
            for (int64_t d = 0; d < nd; ++d) row[d] = idx[d];
            row += nd;
          }
          for (int64_t d = nd - 1; d >= 0; --d) {
            if (++idx[d] < shape[d]) break;
            idx[d] = 0;
          }
        }
      }
    });
    return out;
  });
}

void gather(const Array& out, const Array& a, int64_t dim, const Array& index) {
  // a seen with index's shape and no step along dim: the index adds it.
  Shape strides = a.strides();
  strides[dim] = 0;
  const Array av = a.as_strided(index.shape(), strides, a.offset());
  const int64_t step = a.strides()[dim] * a.itemsize();
  visit_dtype(a.dtype(), [&](auto t) {
    using T = decltype(t);
    auto L = make_loop<3>({&out, &index, &av});
    for_each_row(L, [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        const int64_t k = *reinterpret_cast<const int64_t*>(p[1] + i * s[1]);
        *reinterpret_cast<T*>(p[0] + i * s[0]) =
            *reinterpret_cast<const T*>(p[2] + i * s[2] + k * step);
      }
    });
  });
}

void scatter_add(const Array& a, int64_t dim, const Array& index, const Array& src) {
  // The positions off dim (index's shape without dim) run in parallel; each
  // walks dim serially, so no two threads write one location.
  auto without_dim = [dim](const Shape& s) {
    Shape r = s;
    r.erase(r.begin() + dim);
    return r;
  };
  const Shape outer = without_dim(index.shape());
  const Array io = index.as_strided(outer, without_dim(index.strides()), index.offset());
  const Array so = src.as_strided(outer, without_dim(src.strides()), src.offset());
  const Array ao = a.as_strided(outer, without_dim(a.strides()), a.offset());
  const int64_t len = index.shape()[dim];
  const int64_t is = index.strides()[dim] * index.itemsize();
  const int64_t ss = src.strides()[dim] * src.itemsize();
  const int64_t as = a.strides()[dim] * a.itemsize();
  visit_dtype(a.dtype(), [&](auto t) {
    using T = decltype(t);
    auto L = make_loop<3>({&io, &so, &ao});
    for_each_row(L, [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        const char* ip = p[0] + i * s[0];
        const char* sp = p[1] + i * s[1];
        char* ap = p[2] + i * s[2];
        for (int64_t k = 0; k < len; ++k) {
          const int64_t j = *reinterpret_cast<const int64_t*>(ip + k * is);
          Accumulate{}(*reinterpret_cast<T*>(ap + j * as), *reinterpret_cast<const T*>(sp + k * ss));
        }
      }
    });
  });
}

}  // namespace dc::cpu
