// Checks every layer-zoo suite runs (header only, included by tests/plugins/<layer>/ suites;
// this folder has no CMakeLists.txt of its own):
//  - config_round_trips: from_config(get_config()) gives the same JSON, key order included;
//  - layer_gradients_match: the taped gradient of a layer's output with respect to its input and
//    every weight against central differences;
//  - check_oracle_predict_case (support/oracle_predict.hpp): a tfjs oracle case built from its
//    model.json, its weights assigned, predict compared with tfjs's output;
//  - check_weight_round_trips (format_round_trips.hpp): config, weights and predictions through
//    every installed format.
#pragma once

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "ksave/autodiff.hpp"
#include "ksave/model.hpp"
#include "ksave/ops.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "format_round_trips.hpp"
#include "support/gradient_check.hpp"
#include "support/oracle_predict.hpp"
#include "support/test_data.hpp"

namespace ksave::test {

inline LayerPtr layer_from(const std::string& class_name, const Json& config) {
  return make_layer(class_name, config);
}

// get_config -> from_config -> get_config is the identity (compared as text, so key order and
// int/float spelling count).
inline void config_round_trips(const LayerPtr& layer) {
  const Json first = layer->get_config();
  const LayerPtr again = deserialize_layer(Json{{"class_name", layer->class_name()}, {"config", first}});
  BOOST_TEST(again->get_config().dump() == first.dump(), layer->class_name() << " config round trip");
  BOOST_TEST(again->class_name() == layer->class_name());
}

// Deterministic inputs in [-1, 1) with no two values equal (keeps max/relu kinks apart from the
// finite-difference step).
inline Tensor ramp(const Shape& shape, float scale = 1.0f, unsigned seed = 7) {
  const std::int64_t n = num_elements(shape);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::uint64_t>((i * 7919 + seed * 104729) % (n * 13 + 1));
    v[static_cast<std::size_t>(i)] = scale * (static_cast<float>(k) / static_cast<float>(n * 13 + 1) * 2.0f - 1.0f);
  }
  return Tensor::from_vector<float>(v, shape);
}

// Gradients of layer(inputs) with respect to each input and each trainable weight, through the
// tape, against central differences. The layer is built on the inputs first.
inline void layer_gradients_match(const LayerPtr& layer, const std::vector<Tensor>& inputs,
                                  const GradientCheckOptions& options = {}) {
  (*layer)(Tensors(inputs));  // builds
  const auto weights = layer->trainable_weights();
  const std::size_t n_in = inputs.size();
  // f(inputs..., weights...): weights are set from the probe values before the call.
  const TensorFunction f = [&](const std::vector<Tensor>& all) {
    for (std::size_t i = 0; i < weights.size(); ++i) weights[i]->assign(all[n_in + i]);
    const Tensors xs(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n_in));
    return (*layer)(xs).at(0);
  };
  const AnalyticGradient analytic = [&](const std::vector<Tensor>& all, const Tensor&, const Tensor& dy) {
    for (std::size_t i = 0; i < weights.size(); ++i) weights[i]->assign(all[n_in + i]);
    GradientTape tape;
    std::vector<Tensor> xs;
    for (std::size_t i = 0; i < n_in; ++i) xs.push_back(all[i].clone());
    const Tensor y = (*layer)(Tensors(xs)).at(0);
    const Tensor loss = ops::sum(ops::mul(y, dy));
    std::vector<Tensor> grads = tape.gradient(loss, xs);
    const std::vector<Tensor> wgrads = tape.gradient(loss, weights);
    grads.insert(grads.end(), wgrads.begin(), wgrads.end());
    return grads;
  };
  std::vector<Tensor> all = inputs;
  for (const auto& w : weights) all.push_back(w->value().clone());
  check_gradients(layer->class_name() + " '" + layer->name() + "'", f, all, analytic, options);
  for (std::size_t i = 0; i < weights.size(); ++i) weights[i]->assign(all[n_in + i]);
}

// A Sequential model of `layers` ({"class_name", "config"} each) on inputs of `batch_shape`
// (declared by the first layer's batch_input_shape, as Keras writes it).
inline ModelPtr sequential_of_layers(Json layers, const Shape& batch_shape) {
  Json shape = Json::array();
  for (Dim d : batch_shape) shape.push_back(d < 0 ? Json(nullptr) : Json(d));
  layers.at(0)["config"]["batch_input_shape"] = shape;
  const Json model{{"class_name", "Sequential"}, {"config", {{"name", "sequential"}, {"layers", layers}}}};
  return model_from_json(model.dump());
}

// A one-layer functional-free model: Sequential([Input(shape), layer]).
inline ModelPtr sequential_of(const std::string& class_name, Json config, const Shape& batch_shape) {
  return sequential_of_layers(Json::array({Json{{"class_name", class_name}, {"config", std::move(config)}}}), batch_shape);
}

}  // namespace ksave::test
