// The tf.keras 2.x initializer classes. Each is built from its config (Keras's keys and
// defaults) and writes the same keys back in Keras's order, numbers as they were given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config_values.hpp"
#include "ksave/objects.hpp"
#include "random_stream.hpp"

namespace ksave::initializers {

// ---- constants ----

class Zeros final : public Initializer {
 public:
  explicit Zeros(const Json& config);
  std::string class_name() const override { return "Zeros"; }
  Json get_config() const override { return Json::object(); }
  Tensor operator()(const Shape& shape, DType dtype) override;
};

class Ones final : public Initializer {
 public:
  explicit Ones(const Json& config);
  std::string class_name() const override { return "Ones"; }
  Json get_config() const override { return Json::object(); }
  Tensor operator()(const Shape& shape, DType dtype) override;
};

// `value`: a number (filled everywhere) or a nested list with exactly one value per element,
// as tf.constant(value, shape=shape) accepts.
class Constant final : public Initializer {
 public:
  explicit Constant(const Json& config);
  std::string class_name() const override { return "Constant"; }
  Json get_config() const override;
  Tensor operator()(const Shape& shape, DType dtype) override;

 private:
  Json value_;
  std::vector<double> values_;  // value_ flattened
};

// ---- random ----

// Base of the initializers with a `seed`. A seeded one gives the same values on every call, as
// tf.keras 2.x's do; an unseeded one draws fresh values each time.
class SeededInitializer : public Initializer {
 protected:
  explicit SeededInitializer(std::optional<std::int64_t> seed) : seed_(seed) {}
  Json seed_json() const { return seed_ ? Json(*seed_) : Json(nullptr); }
  RandomStream stream() const { return RandomStream::for_seed(seed_); }
  // A tensor of `shape` whose elements are successive `draw(stream)` values.
  template <typename Draw>
  Tensor generate(const Shape& shape, DType dtype, Draw draw) const {
    require_floating(dtype, class_name());
    RandomStream s = stream();
    // Drawn straight into the tensor, whose constructor refuses a size from a hostile config
    // that the machine's memory cannot hold (a plain vector of doubles asked the allocator
    // first: std::bad_alloc at best, an abort under AddressSanitizer).
    if (dtype == DType::Float32) {
      Tensor values(DType::Float32, shape);
      for (float& v : values.values<float>()) v = static_cast<float>(draw(s));
      return values;
    }
    Tensor values(DType::Float64, shape);
    for (double& v : values.values<double>()) v = draw(s);
    return dtype == DType::Float64 ? values : values.cast(dtype);
  }

 private:
  std::optional<std::int64_t> seed_;
};

class RandomUniform final : public SeededInitializer {
 public:
  explicit RandomUniform(const Json& config);
  std::string class_name() const override { return "RandomUniform"; }
  Json get_config() const override;
  Tensor operator()(const Shape& shape, DType dtype) override;

 private:
  explicit RandomUniform(const ConfigReader& config);
  Number minval_, maxval_;
};

// RandomNormal and TruncatedNormal share `mean` and `stddev`; the truncated one redraws values
// further than two standard deviations from the mean.
class NormalInitializer : public SeededInitializer {
 public:
  Json get_config() const override;
  Tensor operator()(const Shape& shape, DType dtype) override;

 protected:
  NormalInitializer(const Json& config, const std::string& class_name, bool truncated);

 private:
  NormalInitializer(const ConfigReader& config, bool truncated);
  Number mean_, stddev_;
  bool truncated_;
};

class RandomNormal final : public NormalInitializer {
 public:
  explicit RandomNormal(const Json& config) : NormalInitializer(config, "RandomNormal", false) {}
  std::string class_name() const override { return "RandomNormal"; }
};

class TruncatedNormal final : public NormalInitializer {
 public:
  explicit TruncatedNormal(const Json& config)
      : NormalInitializer(config, "TruncatedNormal", true) {}
  std::string class_name() const override { return "TruncatedNormal"; }
};

// ---- variance scaling ----

struct VarianceScalingSpec {
  const char* class_name;
  double scale;
  const char* mode;          // fan_in, fan_out, fan_avg
  const char* distribution;  // truncated_normal, untruncated_normal, uniform
};

// Values whose variance is `scale` divided by the chosen fan (see fans.hpp).
class VarianceScaling : public SeededInitializer {
 public:
  explicit VarianceScaling(const Json& config);
  std::string class_name() const override { return "VarianceScaling"; }
  Json get_config() const override;
  Tensor operator()(const Shape& shape, DType dtype) override;

 protected:
  // A preset (GlorotUniform, HeNormal, ...): fixed parameters, only a seed in the config.
  VarianceScaling(const VarianceScalingSpec& spec, const Json& config);

 private:
  explicit VarianceScaling(const ConfigReader& config);
  void validate(const std::string& class_name) const;
  Number scale_;
  std::string mode_;
  std::string distribution_;
};

template <const VarianceScalingSpec& Spec>
class VarianceScalingPreset final : public VarianceScaling {
 public:
  explicit VarianceScalingPreset(const Json& config) : VarianceScaling(Spec, config) {}
  std::string class_name() const override { return Spec.class_name; }
  // tf.keras's presets write only their seed.
  Json get_config() const override { return {{"seed", seed_json()}}; }
};

inline constexpr VarianceScalingSpec kGlorotUniform{"GlorotUniform", 1.0, "fan_avg", "uniform"};
inline constexpr VarianceScalingSpec kGlorotNormal{"GlorotNormal", 1.0, "fan_avg", "truncated_normal"};
inline constexpr VarianceScalingSpec kHeUniform{"HeUniform", 2.0, "fan_in", "uniform"};
inline constexpr VarianceScalingSpec kHeNormal{"HeNormal", 2.0, "fan_in", "truncated_normal"};
inline constexpr VarianceScalingSpec kLecunUniform{"LecunUniform", 1.0, "fan_in", "uniform"};
inline constexpr VarianceScalingSpec kLecunNormal{"LecunNormal", 1.0, "fan_in", "truncated_normal"};

using GlorotUniform = VarianceScalingPreset<kGlorotUniform>;
using GlorotNormal = VarianceScalingPreset<kGlorotNormal>;
using HeUniform = VarianceScalingPreset<kHeUniform>;
using HeNormal = VarianceScalingPreset<kHeNormal>;
using LecunUniform = VarianceScalingPreset<kLecunUniform>;
using LecunNormal = VarianceScalingPreset<kLecunNormal>;

// ---- matrices ----

// A random orthogonal matrix (QR of a normal matrix, signs fixed as Keras does), times `gain`;
// shapes of rank > 2 are flattened to (prod(shape[:-1]), shape[-1]).
class Orthogonal final : public SeededInitializer {
 public:
  explicit Orthogonal(const Json& config);
  std::string class_name() const override { return "Orthogonal"; }
  Json get_config() const override;
  Tensor operator()(const Shape& shape, DType dtype) override;

 private:
  explicit Orthogonal(const ConfigReader& config);
  Number gain_;
};

// `gain` times the identity matrix; 2-D shapes only, as in Keras.
class Identity final : public Initializer {
 public:
  explicit Identity(const Json& config);
  std::string class_name() const override { return "Identity"; }
  Json get_config() const override { return {{"gain", gain_.json}}; }
  Tensor operator()(const Shape& shape, DType dtype) override;

 private:
  Number gain_;
};

}  // namespace ksave::initializers
