#include "kernel_util.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ksave::detail {

void expect_inputs(std::string_view op, std::span<const Tensor> inputs, std::size_t count) {
  if (inputs.size() != count)
    throw Error(std::string(op) + ": expected " + std::to_string(count) + " inputs, got " +
                std::to_string(inputs.size()));
}

void expect_min_inputs(std::string_view op, std::span<const Tensor> inputs, std::size_t count) {
  if (inputs.size() < count)
    throw Error(std::string(op) + ": expected at least " + std::to_string(count) + " inputs, got " +
                std::to_string(inputs.size()));
}

int normalize_axis(std::int64_t axis, int rank, const Shape& shape, std::string_view op) {
  if (axis < -rank || axis >= rank)
    throw Error(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for rank " +
                std::to_string(rank) + " (shape " + shape_to_string(shape) + ")");
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

std::vector<int> normalize_axes(const std::vector<std::int64_t>& axes, const Shape& shape,
                                std::string_view op) {
  const int rank = static_cast<int>(shape.size());
  std::vector<int> out;
  if (axes.empty()) {
    for (int i = 0; i < rank; ++i) out.push_back(i);
    return out;
  }
  std::vector<bool> seen(static_cast<std::size_t>(rank), false);
  for (std::int64_t a : axes) {
    const int n = normalize_axis(a, rank, shape, op);
    if (seen[static_cast<std::size_t>(n)])
      throw Error(std::string(op) + ": axis " + std::to_string(a) + " is listed twice (shape " +
                  shape_to_string(shape) + ")");
    seen[static_cast<std::size_t>(n)] = true;
    out.push_back(n);
  }
  return out;
}

Tensor filled(DType dtype, Shape shape, double value) {
  if (dtype != DType::Float32) return Tensor::filled(dtype, std::move(shape), value);
  Tensor t = make_float_output(std::move(shape));
  std::fill_n(t.data<float>(), t.size(), static_cast<float>(value));
  return t;
}

std::vector<std::int64_t> contiguous_strides(const Shape& shape) {
  std::vector<std::int64_t> strides(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i)
    // Checked: an output shape computed from a hostile config (Tile's multiples of 2^62) reaches
    // here before its allocation would be refused.
    if (__builtin_mul_overflow(strides[static_cast<std::size_t>(i) + 1], shape[static_cast<std::size_t>(i) + 1],
                               &strides[static_cast<std::size_t>(i)]))
      throw Error("a tensor of shape " + shape_to_string(shape) + " has more elements than can be counted");
  return strides;
}

std::int64_t product(const Shape& shape, int begin, int end) {
  std::int64_t p = 1;
  for (int i = begin; i < end; ++i) p *= shape[static_cast<std::size_t>(i)];
  return p;
}

namespace {

template <typename T>
void append_ids(const Tensor& t, std::vector<std::int64_t>& out) {
  for (T v : t.values<T>()) out.push_back(static_cast<std::int64_t>(v));
}

}  // namespace

std::vector<std::int64_t> index_values(const Tensor& indices, std::string_view op) {
  std::vector<std::int64_t> out;
  index_values(indices, op, out);
  return out;
}

void index_values(const Tensor& indices, std::string_view op, std::vector<std::int64_t>& out) {
  out.clear();
  out.reserve(static_cast<std::size_t>(indices.size()));
  switch (indices.dtype()) {
    case DType::Int8:
      append_ids<std::int8_t>(indices, out);
      break;
    case DType::Int16:
      append_ids<std::int16_t>(indices, out);
      break;
    case DType::Int32:
      append_ids<std::int32_t>(indices, out);
      break;
    case DType::Int64:
      append_ids<std::int64_t>(indices, out);
      break;
    case DType::UInt8:
      append_ids<std::uint8_t>(indices, out);
      break;
    case DType::UInt16:
      append_ids<std::uint16_t>(indices, out);
      break;
    case DType::UInt32:
      append_ids<std::uint32_t>(indices, out);
      break;
    case DType::UInt64:
      // Values above int64's range cannot be valid ids; map them to -1 so range checks fail.
      for (std::uint64_t v : indices.values<std::uint64_t>())
        out.push_back(v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                          ? -1
                          : static_cast<std::int64_t>(v));
      break;
    case DType::String:
      throw Error(std::string(op) + ": indices must be numeric, got a string tensor");
    default: {
      // Float ids (Keras feeds Embedding float inputs): truncate as tf.cast does, but refuse
      // values that cannot be an index at all rather than invoking undefined conversions.
      const Tensor f = indices.dtype() == DType::Float64 ? indices : indices.as_float();
      const auto convert = [&](double v) {
        if (!std::isfinite(v) || std::fabs(v) > 9.0e18)
          throw Error(std::string(op) + ": index " + std::to_string(v) +
                      " is not a finite integer value");
        out.push_back(static_cast<std::int64_t>(v));
      };
      if (f.dtype() == DType::Float64)
        for (double v : f.values<double>()) convert(v);
      else
        for (float v : f.values<float>()) convert(v);
    }
  }
}

std::string shape_str(const Tensor& t) { return shape_to_string(t.shape()); }

std::string ints_str(const std::vector<std::int64_t>& values) {
  std::string out = "(";
  for (std::size_t i = 0; i < values.size(); ++i)
    out += (i ? ", " : "") + std::to_string(values[i]);
  return out + (values.size() == 1 ? ",)" : ")");
}

}  // namespace ksave::detail
