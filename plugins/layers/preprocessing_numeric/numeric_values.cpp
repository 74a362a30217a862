#include "numeric_values.hpp"

#include "ksave/error.hpp"

namespace ksave::plugins {
namespace {

void collect(const Json& value, const std::string& what, std::vector<float>& out) {
  if (value.is_number()) {
    out.push_back(value.get<float>());
  } else if (value.is_array()) {
    for (const Json& item : value) collect(item, what, out);
  } else {
    throw Error(what + ": expected a number or a list of numbers, found " + value.dump());
  }
}

}  // namespace

std::vector<float> flatten_numbers(const Json& value, const std::string& what) {
  std::vector<float> out;
  collect(value, what, out);
  if (out.empty()) throw Error(what + ": expected a number or a list of numbers, found an empty list");
  return out;
}

Tensor numbers_to_shape(const std::vector<float>& values, const Shape& shape, const std::string& what) {
  const std::int64_t count = num_elements(shape);
  if (values.size() == 1) return Tensor::filled(DType::Float32, shape, values[0]);
  if (static_cast<std::int64_t>(values.size()) != count)
    throw Error(what + ": expected 1 or " + std::to_string(count) + " values (shape " + shape_to_string(shape) +
                "), found " + std::to_string(values.size()));
  return Tensor::from_vector<float>(values, shape);
}

}  // namespace ksave::plugins
