// MaxNorm, NonNeg, UnitNorm and MinMaxNorm with tf.keras's formulas, written with ops.
//
// Numbers and axes are kept as they were written: Keras stores what it was given and writes it
// back (MaxNorm's default max_value is the int 2, MinMaxNorm's are floats), so a config read
// from a file round-trips exactly.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "ksave/config.hpp"
#include "ksave/ops.hpp"
#include "ksave/plugin.hpp"

namespace {

using ksave::ConfigReader;
using ksave::Json;
using ksave::Tensor;
namespace ops = ksave::ops;

// Keras's backend epsilon (K.epsilon()), which keeps the division finite for zero norms.
constexpr double kEpsilon = 1e-7;

ConfigReader read_config(const Json& config, const std::string& class_name) {
  const std::string object = "constraint '" + class_name + "'";
  if (!config.is_object())
    throw ksave::Error(object + ": config must be a JSON object, found " + config.dump());
  return ConfigReader(config, object);
}

// A number as written, or `fallback`.
Json read_number(const ConfigReader& config, std::string_view key, Json fallback,
                 std::initializer_list<std::string_view> aliases = {}) {
  config.get<double>(key, 0.0, aliases);  // throws, naming the key, unless it is a number
  const Json* written = config.find(key, aliases);
  return written && !written->is_null() ? *written : fallback;
}

// `axis`: an int or a list of ints (Keras allows [0, 1, 2] for convolution kernels).
struct Axes {
  Json json = 0;
  std::vector<std::int64_t> list{0};

  explicit Axes(const ConfigReader& config) {
    const Json* written = config.find("axis");
    if (!written || written->is_null()) return;
    const Json items = written->is_array() ? *written : Json::array({*written});
    // An empty list is refused: ops::sum would read it as "every axis".
    if (items.empty() || !std::all_of(items.begin(), items.end(),
                                      [](const Json& a) { return a.is_number_integer(); }))
      throw ksave::Error(config.object() + ": config key 'axis' must be an int or a list of ints, found " +
                         written->dump());
    json = *written;
    list.clear();
    for (const Json& a : items) list.push_back(a.get<std::int64_t>());
  }
};

// The L2 norm of `w` over `axes`, kept broadcastable against `w`.
Tensor norms(const Tensor& w, const Axes& axes) {
  return ops::sqrt(ops::sum(ops::square(w), axes.list, /*keepdims=*/true));
}

// w rescaled so that its norms become `desired`.
Tensor rescale(const Tensor& w, const Tensor& desired, const Tensor& norms) {
  return ops::mul(w, ops::div(desired, ops::add(norms, kEpsilon)));
}

class MaxNorm final : public ksave::Constraint {
 public:
  explicit MaxNorm(const Json& config) : MaxNorm(read_config(config, "MaxNorm")) {}
  std::string class_name() const override { return "MaxNorm"; }
  Json get_config() const override { return {{"max_value", max_value_}, {"axis", axes_.json}}; }
  Tensor operator()(const Tensor& w) const override {
    const Tensor n = norms(w, axes_);
    return rescale(w, ops::clip(n, 0.0, max_value_.get<double>()), n);
  }

 private:
  // "m" is Keras 1's name for max_value.
  explicit MaxNorm(const ConfigReader& config)
      : max_value_(read_number(config, "max_value", 2, {"m"})), axes_(config) {}
  Json max_value_;
  Axes axes_;
};

class NonNeg final : public ksave::Constraint {
 public:
  explicit NonNeg(const Json& config) { read_config(config, "NonNeg"); }
  std::string class_name() const override { return "NonNeg"; }
  Json get_config() const override { return Json::object(); }
  // Keras multiplies by (w >= 0); "w > 0" gives the same result, since a zero stays zero.
  Tensor operator()(const Tensor& w) const override {
    return ops::mul(w, ops::greater(w, ops::constant(0.0)));
  }
};

class UnitNorm final : public ksave::Constraint {
 public:
  explicit UnitNorm(const Json& config) : axes_(read_config(config, "UnitNorm")) {}
  std::string class_name() const override { return "UnitNorm"; }
  Json get_config() const override { return {{"axis", axes_.json}}; }
  Tensor operator()(const Tensor& w) const override {
    return ops::div(w, ops::add(norms(w, axes_), kEpsilon));
  }

 private:
  Axes axes_;
};

// Norms pulled towards [min_value, max_value]: rate 1 clips them, a smaller rate moves them
// part of the way.
class MinMaxNorm final : public ksave::Constraint {
 public:
  explicit MinMaxNorm(const Json& config) : MinMaxNorm(read_config(config, "MinMaxNorm")) {}
  std::string class_name() const override { return "MinMaxNorm"; }
  Json get_config() const override {
    return {{"min_value", min_value_}, {"max_value", max_value_}, {"rate", rate_}, {"axis", axes_.json}};
  }
  Tensor operator()(const Tensor& w) const override {
    const Tensor n = norms(w, axes_);
    const double rate = rate_.get<double>();
    const Tensor clipped = ops::clip(n, min_value_.get<double>(), max_value_.get<double>());
    const Tensor desired = ops::add(ops::mul(clipped, rate), ops::mul(n, 1.0 - rate));
    return rescale(w, desired, n);
  }

 private:
  explicit MinMaxNorm(const ConfigReader& config)
      : min_value_(read_number(config, "min_value", 0.0)),
        max_value_(read_number(config, "max_value", 1.0)),
        rate_(read_number(config, "rate", 1.0)),
        axes_(config) {}
  Json min_value_, max_value_, rate_;
  Axes axes_;
};

void register_constraints(ksave::PluginRegistrar& r) {
  // Snake-case names as Keras resolves them, and the older spellings tf.keras still aliases.
  r.constraint<MaxNorm>("MaxNorm", {"max_norm", "maxnorm"});
  r.constraint<NonNeg>("NonNeg", {"non_neg", "nonneg"});
  r.constraint<UnitNorm>("UnitNorm", {"unit_norm", "unitnorm"});
  r.constraint<MinMaxNorm>("MinMaxNorm", {"min_max_norm"});
}

}  // namespace

KSAVE_PLUGIN("constraints", "0.1.0", register_constraints)
