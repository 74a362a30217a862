// Checks shared by the layer-zoo plugin suites (Embedding, the RNNs, normalization, Attention):
// exact config round trips, tfjs oracle predict cases, gradients against finite differences and
// weights through every installed format (layer_checks/format_round_trips.hpp). Header-only;
// include after <boost/test/unit_test.hpp>. This folder has no CMakeLists: it is not a suite of
// its own.
#pragma once

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "ksave/autodiff.hpp"
#include "ksave/model.hpp"
#include "ksave/ops.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "layer_checks/format_round_trips.hpp"
#include "support/gradient_check.hpp"
#include "support/oracle_predict.hpp"
#include "support/test_data.hpp"

namespace ksave::test::zoo {

inline LayerPtr layer_from(const std::string& class_name, const Json& config) {
  return deserialize_layer(Json{{"class_name", class_name}, {"config", config}});
}

inline Tensor random_tensor(const Shape& shape, unsigned seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<std::size_t>(num_elements(shape)));
  for (float& x : v) x = dist(rng);
  return Tensor::from_vector<float>(v, shape);
}

// A config value with nested objects in the older {"class_name", "config"} form: tf-keras 2.21
// writes them with "module" and "registered_name" keys (checked against real tf-keras in the
// interop suite), the configs given here use either form.
inline Json without_module_keys(const Json& value) {
  if (value.is_array()) {
    Json out = Json::array();
    for (const auto& v : value) out.push_back(without_module_keys(v));
    return out;
  }
  if (!value.is_object()) return value;
  Json out = Json::object();
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (it.key() == "module" || (it.key() == "registered_name" && it.value().is_null())) continue;
    out[it.key()] = without_module_keys(it.value());
  }
  return out;
}

// Every key of `config` comes back with the same value, and the layer rebuilt from get_config
// gives the same config again, byte for byte.
inline void check_config_round_trip(const std::string& class_name, const Json& config) {
  const LayerPtr a = layer_from(class_name, config);
  const Json ca = a->get_config();
  for (auto it = config.begin(); it != config.end(); ++it) {
    const Json got = without_module_keys(ca.value(it.key(), Json("<missing>")));
    BOOST_TEST(got == without_module_keys(it.value()),
               class_name << " key '" << it.key() << "': " << got.dump() << " vs " << it.value().dump());
  }
  const LayerPtr b = layer_from(class_name, ca);
  BOOST_TEST(b->get_config().dump() == ca.dump());
}

// d sum(layer(x) * w) / dx (and / d each trainable weight) from the tape against central
// differences. The layer must already be built.
inline void check_layer_gradients(const std::string& label, const LayerPtr& layer, const Tensor& x,
                                  const GradientCheckOptions& options = {}, bool check_input = true) {
  const auto forward = [&](const std::vector<Tensor>& in) { return (*layer)(in[0]); };
  const auto analytic = [&](const std::vector<Tensor>& in, const Tensor&, const Tensor& dy) {
    GradientTape tape;
    const Tensor y = (*layer)(in[0]);
    const Tensor loss = ops::sum(ops::mul(y, dy));
    return tape.gradient(loss, std::vector<Tensor>{in[0]});
  };
  if (check_input) check_gradients(label + " (input)", forward, {x}, analytic, options);
  // Each weight: perturb the variable's value through the same machinery.
  for (const auto& var : layer->trainable_weights()) {
    const Tensor saved = var->value().clone();
    const auto f_w = [&](const std::vector<Tensor>& in) {
      var->assign(in[0]);
      const Tensor y = (*layer)(x);
      var->assign(saved);
      return y;
    };
    const auto analytic_w = [&](const std::vector<Tensor>&, const Tensor&, const Tensor& dy) {
      GradientTape tape;
      const Tensor y = (*layer)(x);
      const Tensor loss = ops::sum(ops::mul(y, dy));
      return tape.gradient(loss, std::vector<VariablePtr>{var});
    };
    check_gradients(label + " (" + var->name() + ")", f_w, {saved}, analytic_w, options);
  }
}

using ksave::test::check_oracle_predict_case;
using ksave::test::check_weight_round_trips;

}  // namespace ksave::test::zoo
