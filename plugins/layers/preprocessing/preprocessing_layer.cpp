#include "preprocessing_layer.hpp"

#include <set>

namespace ksave::plugins::preprocessing {
namespace {

// Keys the base Layer reads and writes itself (with their older spellings).
const std::set<std::string> kBaseKeys = {"name", "trainable", "dtype", "batch_input_shape", "input_shape",
                                         "batch_shape", "batch_size", "input_dim"};

Json own_keys(const Json& config) {
  Json own = Json::object();
  if (config.is_object())
    for (const auto& [k, v] : config.items())
      if (!kBaseKeys.count(k)) own[k] = v;
  return own;
}

}  // namespace

PreprocessingLayer::PreprocessingLayer(const Json& config, const char* class_name)
    : Layer(config, class_name),
      class_name_(class_name),
      own_config_(own_keys(config)),
      reader_(own_config_, "layer '" + name() + "' (" + class_name + ")") {}

Json PreprocessingLayer::get_config() const {
  Json c = Layer::get_config();
  for (const auto& [k, v] : own_config_.items()) c[k] = v;
  return c;
}

}  // namespace ksave::plugins::preprocessing
