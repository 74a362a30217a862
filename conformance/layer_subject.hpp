// A layer class under test, made from its sample (or default) config and called in a model of
// Input(s) -> layer, with fixed random inputs of the sample's shapes (or the first of the kit's
// default shapes the layer accepts: one float input of rank 2, 3, 4 or 5, then two equal ones).
#pragma once

#include <string>
#include <vector>

#include "ksave/json.hpp"
#include "ksave/model.hpp"

namespace ksave::conformance {

struct LayerSubject {
  std::string registered_name;
  Json config;   // the layer's get_config() once built
  Json inputs;   // [{"shape", "dtype", "low", "high"}] as used
  ModelPtr model;
  LayerPtr layer;
  Tensors data;  // a batch of 2
};

// Throws an Error naming the class, the sample and every input shape tried, when none works.
LayerSubject make_layer_subject(const std::string& registered_name, const Json& sample);
// A fresh model of the same class, config and inputs (new weights from the initializers).
ModelPtr rebuild_model(const LayerSubject& subject);
// Random values for `inputs` ([{"shape", "dtype", "low", "high"}]), batch `batch`.
Tensors random_inputs(const Json& inputs, std::int64_t batch, unsigned seed);

}  // namespace ksave::conformance
