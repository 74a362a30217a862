// Reading the values initializer configs hold, and turning drawn numbers into tensors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksave/config.hpp"
#include "ksave/tensor.hpp"

namespace ksave::initializers {

// A reader whose errors name the initializer ("initializer 'RandomNormal'"). Keys Keras does not
// write are ignored, among them the "dtype" TF 1.x put into every initializer config.
ConfigReader read_config(const Json& config, const std::string& class_name);

// A numeric config value kept as it was written. Python Keras stores the int or float it was
// given and writes it back unchanged ("scale": 1 stays 1), so keeping the JSON makes a config
// read from a file round-trip exactly.
struct Number {
  double value = 0.0;
  Json json;
  static Number read(const ConfigReader& config, std::string_view key, Json fallback);
};

// `seed`: an integer or null.
std::optional<std::int64_t> read_seed(const ConfigReader& config);

// Row-major `values` as a tensor of `dtype` (converted as NumPy's astype does).
Tensor to_tensor(const std::vector<double>& values, const Shape& shape, DType dtype);
// Random initializers fill floating tensors only, as Keras's do.
void require_floating(DType dtype, const std::string& class_name);

}  // namespace ksave::initializers
