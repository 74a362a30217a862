// RandomUniform, RandomNormal and TruncatedNormal.
#include "initializers.hpp"

namespace ksave::initializers {

RandomUniform::RandomUniform(const Json& config)
    : RandomUniform(read_config(config, "RandomUniform")) {}

RandomUniform::RandomUniform(const ConfigReader& config)
    : SeededInitializer(read_seed(config)),
      minval_(Number::read(config, "minval", -0.05)),
      maxval_(Number::read(config, "maxval", 0.05)) {}

Json RandomUniform::get_config() const {
  return {{"minval", minval_.json}, {"maxval", maxval_.json}, {"seed", seed_json()}};
}

Tensor RandomUniform::operator()(const Shape& shape, DType dtype) {
  return generate(shape, dtype, [&](RandomStream& s) { return s.uniform(minval_.value, maxval_.value); });
}

NormalInitializer::NormalInitializer(const Json& config, const std::string& class_name,
                                     bool truncated)
    : NormalInitializer(read_config(config, class_name), truncated) {}

NormalInitializer::NormalInitializer(const ConfigReader& config, bool truncated)
    : SeededInitializer(read_seed(config)),
      mean_(Number::read(config, "mean", 0.0)),
      stddev_(Number::read(config, "stddev", 0.05)),
      truncated_(truncated) {}

Json NormalInitializer::get_config() const {
  return {{"mean", mean_.json}, {"stddev", stddev_.json}, {"seed", seed_json()}};
}

Tensor NormalInitializer::operator()(const Shape& shape, DType dtype) {
  return generate(shape, dtype, [&](RandomStream& s) {
    return mean_.value + stddev_.value * (truncated_ ? s.truncated_normal() : s.normal());
  });
}

}  // namespace ksave::initializers
