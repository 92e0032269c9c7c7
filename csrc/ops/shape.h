// Shape ops. All but cat/stack (and reshape of data that no view can
// express) return views that share the input's storage.
#pragma once
#include <optional>
#include <vector>
#include "core/array.h"

namespace dc {

// One -1 in `shape` is inferred. reshape copies when no view can express the
// result; view raises instead, as PyTorch.
Array reshape(const Array& a, const Shape& shape);
Array view(const Array& a, const Shape& shape);
Array flatten(const Array& a, int64_t start_dim, int64_t end_dim);
Array transpose(const Array& a, int64_t dim0, int64_t dim1);
Array permute(const Array& a, const std::vector<int64_t>& dims);
// Sizes of -1 keep the input's size; new leading dims are allowed.
Array expand(const Array& a, const Shape& shape);
// Without dims, removes every size-1 dim; named dims of other sizes are kept.
Array squeeze(const Array& a, const std::optional<std::vector<int64_t>>& dims);
Array unsqueeze(const Array& a, int64_t dim);
// a[..., start:stop:step, ...] along `dim`, Python slice semantics (step > 0).
Array slice(const Array& a, int64_t dim, std::optional<int64_t> start,
            std::optional<int64_t> stop, int64_t step);
// a[..., index, ...] along `dim` (negative index counts from the end).
Array select(const Array& a, int64_t dim, int64_t index);
Array cat(const std::vector<Array>& arrays, int64_t dim);
Array stack(const std::vector<Array>& arrays, int64_t dim);

}  // namespace dc
