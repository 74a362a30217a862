// L1, L2 and L1L2 as tf.keras 2.x defines them, penalties written with ops so they
// differentiate.
//
// tf.keras keeps each factor as a float32 (backend.cast_to_floatx) and writes float(factor)
// back, so a default L2 writes "l2": 0.009999999776482582. ksave stores and writes the factors
// the same way, so its configs match tf.keras's byte for byte and round-trip exactly.
#include <cmath>
#include <string>

#include "ksave/config.hpp"
#include "ksave/ops.hpp"
#include "ksave/plugin.hpp"

namespace {

using ksave::ConfigReader;
using ksave::Json;
using ksave::Tensor;
namespace ops = ksave::ops;

ConfigReader read_config(const Json& config, const std::string& class_name) {
  const std::string object = "regularizer '" + class_name + "'";
  if (!config.is_object())
    throw ksave::Error(object + ": config must be a JSON object, found " + config.dump());
  return ConfigReader(config, object);
}

// A penalty factor: a finite number (Keras's _check_penalty_number), held as float32.
float read_factor(const ConfigReader& config, std::string_view key, double fallback,
                  std::initializer_list<std::string_view> aliases = {}) {
  const double value = config.get<double>(key, fallback, aliases);
  if (!std::isfinite(value))
    throw ksave::Error(config.object() + ": config key '" + std::string(key) +
                       "' must be a finite number, found " + std::to_string(value));
  return static_cast<float>(value);
}

Tensor l1_penalty(const Tensor& w, float factor) { return ops::mul(ops::sum(ops::abs(w)), factor); }
Tensor l2_penalty(const Tensor& w, float factor) { return ops::mul(ops::sum(ops::square(w)), factor); }

class L1 final : public ksave::Regularizer {
 public:
  // "l" is the key Keras 2.0-2.3 used (tf.keras still accepts it).
  explicit L1(const Json& config) : l1_(read_factor(read_config(config, "L1"), "l1", 0.01, {"l"})) {}
  std::string class_name() const override { return "L1"; }
  Json get_config() const override { return {{"l1", static_cast<double>(l1_)}}; }
  Tensor operator()(const Tensor& w) const override { return l1_penalty(w, l1_); }

 private:
  float l1_;
};

class L2 final : public ksave::Regularizer {
 public:
  explicit L2(const Json& config) : l2_(read_factor(read_config(config, "L2"), "l2", 0.01, {"l"})) {}
  std::string class_name() const override { return "L2"; }
  Json get_config() const override { return {{"l2", static_cast<double>(l2_)}}; }
  Tensor operator()(const Tensor& w) const override { return l2_penalty(w, l2_); }

 private:
  float l2_;
};

// The class defaults to no penalty at all (Keras keeps L1L2(l2=0.1) free of an l1 term).
class L1L2 : public ksave::Regularizer {
 public:
  explicit L1L2(const Json& config) : L1L2(config, 0.0) {}
  std::string class_name() const override { return "L1L2"; }
  Json get_config() const override {
    return {{"l1", static_cast<double>(l1_)}, {"l2", static_cast<double>(l2_)}};
  }
  Tensor operator()(const Tensor& w) const override {
    if (l1_ != 0.0f && l2_ != 0.0f) return ops::add(l1_penalty(w, l1_), l2_penalty(w, l2_));
    if (l1_ != 0.0f) return l1_penalty(w, l1_);
    if (l2_ != 0.0f) return l2_penalty(w, l2_);
    return ops::constant(0.0);
  }

 protected:
  L1L2(const Json& config, double fallback) : L1L2(read_config(config, "L1L2"), fallback) {}

 private:
  L1L2(const ConfigReader& config, double fallback)
      : l1_(read_factor(config, "l1", fallback)), l2_(read_factor(config, "l2", fallback)) {}
  float l1_;
  float l2_;
};

// The name "l1_l2" is Keras's shortcut function l1_l2(l1=0.01, l2=0.01): unlike the class, it
// defaults both factors to 0.01. It builds an ordinary L1L2.
class L1L2Shortcut final : public L1L2 {
 public:
  explicit L1L2Shortcut(const Json& config) : L1L2(config, 0.01) {}
};

void register_regularizers(ksave::PluginRegistrar& r) {
  r.regularizer<L1>("L1", {"l1"});
  r.regularizer<L2>("L2", {"l2"});
  // Keras 3's snake-case name, and Keras 1's classes of the same config.
  r.regularizer<L1L2>("L1L2", {"l1l2", "L1L2Regularizer", "WeightRegularizer"});
  r.regularizer<L1L2Shortcut>("l1_l2");
}

}  // namespace

KSAVE_PLUGIN("regularizers", "0.1.0", register_regularizers)
