// Zeros, Ones and Constant: the same value for every element, in any numeric dtype.
#include "initializers.hpp"

namespace ksave::initializers {

namespace {

// Appends the numbers of a number or nested list; anything else is an error naming `value`.
void flatten_numbers(const Json& value, const ConfigReader& config, std::vector<double>& out) {
  if (value.is_number()) {
    out.push_back(value.get<double>());
  } else if (value.is_array()) {
    for (const Json& item : value) flatten_numbers(item, config, out);
  } else {
    throw Error(config.object() + ": config key 'value' must be a number or a list of numbers, found " +
                config.json().at("value").dump());
  }
}

}  // namespace

Zeros::Zeros(const Json& config) { read_config(config, "Zeros"); }

Tensor Zeros::operator()(const Shape& shape, DType dtype) { return Tensor::zeros(dtype, shape); }

Ones::Ones(const Json& config) { read_config(config, "Ones"); }

Tensor Ones::operator()(const Shape& shape, DType dtype) { return Tensor::filled(dtype, shape, 1.0); }

Constant::Constant(const Json& config) : value_(0) {
  const ConfigReader reader = read_config(config, "Constant");
  if (const Json* value = reader.find("value"); value && !value->is_null()) value_ = *value;
  flatten_numbers(value_, reader, values_);
}

Json Constant::get_config() const { return {{"value", value_}}; }

Tensor Constant::operator()(const Shape& shape, DType dtype) {
  const std::int64_t count = num_elements(shape);
  if (values_.size() == 1) return Tensor::filled(dtype, shape, values_.front());
  if (static_cast<std::int64_t>(values_.size()) != count)
    throw Error("initializer 'Constant': " + std::to_string(values_.size()) +
                " values cannot fill shape " + shape_to_string(shape));
  return to_tensor(values_, shape, dtype);
}

}  // namespace ksave::initializers
