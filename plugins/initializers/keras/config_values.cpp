#include "config_values.hpp"

namespace ksave::initializers {

ConfigReader read_config(const Json& config, const std::string& class_name) {
  const std::string object = "initializer '" + class_name + "'";
  if (!config.is_object())
    throw Error(object + ": config must be a JSON object, found " + config.dump());
  return ConfigReader(config, object);
}

Number Number::read(const ConfigReader& config, std::string_view key, Json fallback) {
  const Json* written = config.find(key);
  if (!written || written->is_null()) return {fallback.get<double>(), std::move(fallback)};
  return {config.get<double>(key, 0.0), *written};  // get() checks that it is a number
}

std::optional<std::int64_t> read_seed(const ConfigReader& config) {
  const Json* seed = config.find("seed");
  if (!seed || seed->is_null()) return std::nullopt;
  return config.get<std::int64_t>("seed", 0);
}

Tensor to_tensor(const std::vector<double>& values, const Shape& shape, DType dtype) {
  if (dtype == DType::Float32)
    return Tensor::from_vector(std::vector<float>(values.begin(), values.end()), shape);
  Tensor wide = Tensor::from_vector(values, shape);
  return dtype == DType::Float64 ? wide : wide.cast(dtype);
}

void require_floating(DType dtype, const std::string& class_name) {
  if (!is_floating(dtype))
    throw Error("initializer '" + class_name + "': cannot fill a " +
                std::string(dtype_name(dtype)) + " tensor with random values (floating dtype expected)");
}

}  // namespace ksave::initializers
