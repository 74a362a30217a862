#include "slice_sums.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ksave/error.hpp"

namespace ksave::optimizers {
namespace {

std::size_t row_size(const Shape& shape) {
  std::size_t n = 1;
  for (std::size_t d = 1; d < shape.size(); ++d) n *= static_cast<std::size_t>(shape[d]);
  return n;
}

// Made on every training step: from the recycled buffers, cleared here (Tensor::zeros of a large
// table maps fresh pages each time).
Tensor zeroed_table(const Shape& shape) {
  Tensor t = Tensor::for_overwrite(DType::Float32, shape);
  std::memset(t.raw_data(), 0, t.nbytes());
  return t;
}

}  // namespace

SliceSums sum_slices(const IndexedSlices& slices, const Shape& variable_shape, const std::string& where,
                     SliceTerms terms) {
  const Tensor& indices = slices.indices;
  const Tensor values = slices.values.as_float();
  Shape expected = variable_shape;
  if (!expected.empty()) expected[0] = indices.size();
  if (variable_shape.empty() || indices.dtype() != DType::Int64 || indices.rank() != 1 || values.shape() != expected)
    throw Error(where + ": IndexedSlices gradient with indices " + std::string(dtype_name(indices.dtype())) + " " +
                shape_to_string(indices.shape()) + " and values " + shape_to_string(values.shape()) +
                " does not fit a variable of shape " + shape_to_string(variable_shape) +
                " (expected int64 indices [n] and values " + shape_to_string(expected) + ")");
  const bool all_terms = terms == SliceTerms::SumSquaresAbsolutes;
  SliceSums out{zeroed_table(variable_shape), all_terms ? zeroed_table(variable_shape) : Tensor(),
                all_terms ? zeroed_table(variable_shape) : Tensor(), {}};
  const std::size_t width = row_size(variable_shape);
  const std::int64_t* ids = indices.data<std::int64_t>();
  const float* v = values.data<float>();
  float* sum = out.sum.data<float>();
  for (std::int64_t k = 0; k < indices.size(); ++k) {
    const std::int64_t row = ids[k];
    if (row < 0 || row >= variable_shape[0])
      throw Error(where + ": IndexedSlices gradient index " + std::to_string(row) + " is out of range [0, " +
                  std::to_string(variable_shape[0]) + ")");
    out.rows.push_back(row);
    const float* slice = v + static_cast<std::size_t>(k) * width;
    const std::size_t base = static_cast<std::size_t>(row) * width;
    for (std::size_t j = 0; j < width; ++j) sum[base + j] += slice[j];
    if (!all_terms) continue;
    float* squares = out.squares.data<float>() + base;
    float* absolutes = out.absolutes.data<float>() + base;
    for (std::size_t j = 0; j < width; ++j) {
      squares[j] += slice[j] * slice[j];
      absolutes[j] += std::fabs(slice[j]);
    }
  }
  std::sort(out.rows.begin(), out.rows.end());
  out.rows.erase(std::unique(out.rows.begin(), out.rows.end()), out.rows.end());
  return out;
}

Tensor gather_rows(const Tensor& from, const std::vector<std::int64_t>& rows) {
  Shape shape = from.shape();
  shape[0] = static_cast<Dim>(rows.size());
  Tensor out(DType::Float32, shape);
  const std::size_t width = row_size(from.shape());
  for (std::size_t k = 0; k < rows.size(); ++k)
    std::memcpy(out.data<float>() + k * width, from.data<float>() + static_cast<std::size_t>(rows[k]) * width,
                width * sizeof(float));
  return out;
}

void scatter_rows(const Tensor& compact, const std::vector<std::int64_t>& rows, Tensor& into) {
  const std::size_t width = row_size(into.shape());
  for (std::size_t k = 0; k < rows.size(); ++k)
    std::memcpy(into.data<float>() + static_cast<std::size_t>(rows[k]) * width, compact.data<float>() + k * width,
                width * sizeof(float));
}

}  // namespace ksave::optimizers
