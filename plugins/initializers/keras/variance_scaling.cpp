// VarianceScaling and, through its presets, the Glorot, He and Lecun initializers.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "fans.hpp"
#include "initializers.hpp"

namespace ksave::initializers {

namespace {

// Keras accepts the distribution in any case ("Uniform") and lower-cases it.
std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The standard deviation of a standard normal truncated to [-2, 2]; dividing by it gives the
// truncated distribution the variance asked for (Keras's constant).
constexpr double kTruncatedStddev = 0.87962566103423978;

}  // namespace

VarianceScaling::VarianceScaling(const Json& config)
    : VarianceScaling(read_config(config, "VarianceScaling")) {}

VarianceScaling::VarianceScaling(const ConfigReader& config)
    : SeededInitializer(read_seed(config)),
      scale_(Number::read(config, "scale", 1.0)),
      mode_(config.get<std::string>("mode", "fan_in")),
      distribution_(lowercase(config.get<std::string>("distribution", "truncated_normal"))) {
  // Standalone Keras and tfjs call the truncated normal "normal"; tf.keras renames it on read.
  if (distribution_ == "normal") distribution_ = "truncated_normal";
  validate("VarianceScaling");
}

VarianceScaling::VarianceScaling(const VarianceScalingSpec& spec, const Json& config)
    : SeededInitializer(read_seed(read_config(config, spec.class_name))),
      scale_{spec.scale, spec.scale},
      mode_(spec.mode),
      distribution_(spec.distribution) {}

void VarianceScaling::validate(const std::string& class_name) const {
  const std::string where = "initializer '" + class_name + "': config key ";
  if (!(scale_.value > 0.0))
    throw Error(where + "'scale' must be positive, found " + scale_.json.dump());
  if (mode_ != "fan_in" && mode_ != "fan_out" && mode_ != "fan_avg")
    throw Error(where + "'mode' must be fan_in, fan_out or fan_avg, found \"" + mode_ + "\"");
  if (distribution_ != "truncated_normal" && distribution_ != "untruncated_normal" &&
      distribution_ != "uniform")
    throw Error(where + "'distribution' must be truncated_normal, untruncated_normal or uniform, found \"" +
                distribution_ + "\"");
}

Json VarianceScaling::get_config() const {
  return {{"scale", scale_.json},
          {"mode", mode_},
          {"distribution", distribution_},
          {"seed", seed_json()}};
}

Tensor VarianceScaling::operator()(const Shape& shape, DType dtype) {
  const Fans fans = compute_fans(shape);
  const double fan = mode_ == "fan_in"    ? fans.in
                     : mode_ == "fan_out" ? fans.out
                                          : (fans.in + fans.out) / 2.0;
  const double variance = scale_.value / std::max(1.0, fan);
  if (distribution_ == "uniform") {
    const double limit = std::sqrt(3.0 * variance);
    return generate(shape, dtype, [&](RandomStream& s) { return s.uniform(-limit, limit); });
  }
  if (distribution_ == "untruncated_normal") {
    const double stddev = std::sqrt(variance);
    return generate(shape, dtype, [&](RandomStream& s) { return stddev * s.normal(); });
  }
  const double stddev = std::sqrt(variance) / kTruncatedStddev;
  return generate(shape, dtype, [&](RandomStream& s) { return stddev * s.truncated_normal(); });
}

}  // namespace ksave::initializers
