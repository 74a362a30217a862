#include "keras3_forms.hpp"

#include <map>

#include "ksave/registry.hpp"

namespace ksave::plugins::keras_zip {
namespace {

// Read from the config.json of Keras 3.15.1's own archives (the interop suite's models) and from
// get_config() of default-built Keras 3.15.1 objects. Entry fields:
//   classes       the classes the entry describes (a class in several entries has all their fields)
//   model         a model class: Keras 3 writes its build_config and compile_config
//   no_build_config  Keras 3's class has no build() of its own, so Keras records no build shapes
//                 (and MultiHeadAttention, whose build() takes the query, value and key shapes:
//                 the graph writer gives it those of its first call, keras3_call_nodes.cpp)
//   module        Keras 3's module when not the one of the class's kind
//   registered_name  what Keras 3 writes there (null when absent)
//   keys          Keras 3's keys in its order; a key ksave's config lacks takes `defaults`'s value
//                 (or is left out); a key of ksave's that is not listed stays, after them.
//                 BatchNormalization's `synchronized` has no default: it marks a layer of Keras
//                 3's (its moving-variance rule, plugins/layers/batch_normalization), which a
//                 tf-keras layer saved as .keras is not
//   renamed       ksave's key -> Keras 3's
//   dropped       keys Keras 3 does not take (tf-keras's, no number depends on them)
//   dropped_when  keys Keras 3 does not have, dropped when they hold the value given (another value
//                 changes numbers, so it stays for Keras to refuse loudly)
//   scalar_when_single  keys whose one-element list Keras 3 writes as the element
//   plain_dtype   dtype stays a string (Keras 3 writes no DTypePolicy there)
//   call_kwargs   keyword arguments Keras 3 records on every call of the class in a graph (the
//                 training=False its call signature defaults to), before the call's own
//   wrapped_build the build_config Keras 3 writes for a wrapped layer (the wrapper's build shape is
//                 given by the writer): "same" as the wrapper's, "per_step" without axis 1
//   op_module     the module of Keras 3's operation of the same name (keras.ops.add): a call of the
//                 class with a constant argument is that operation's, written as Keras 3 writes one
//   wrapped_rnn_keys  keys holding recurrent layers that Keras 3 wraps: their zero_output_for_mask
//                 is their return_sequences (Keras 3's Bidirectional sets it so)
constexpr const char* kForms = R"json([
 {"classes": ["Sequential"], "model": true, "module": "keras", "keys": ["name", "trainable", "dtype", "layers", "build_input_shape"],
  "defaults": {"trainable": true, "dtype": "float32"}},
 {"classes": ["Functional"], "model": true, "module": "keras.src.models.functional", "registered_name": "Functional"},
 {"classes": ["Model"], "model": true, "module": "keras"},
 {"classes": ["SimpleRNN", "LSTM", "GRU", "Dropout", "AlphaDropout", "GaussianDropout", "GaussianNoise",
  "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"], "call_kwargs": {"training": false}},
 {"classes": ["InputLayer", "Activation", "ActivityRegularization", "Dropout", "AlphaDropout", "GaussianDropout",
  "GaussianNoise", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "MaxPooling1D", "MaxPooling2D",
  "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "GlobalAveragePooling1D",
  "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
  "GlobalMaxPooling3D", "ELU", "LeakyReLU", "ReLU", "Softmax", "Identity", "Masking", "Reshape",
  "UnitNormalization"], "no_build_config": true},
 {"classes": ["Add", "Subtract", "Multiply", "Maximum", "Minimum"], "op_module": "keras.src.ops.numpy"},
 {"classes": ["LayerScale"], "module": "keras.src.applications.convnext", "registered_name": "LayerScale"},
 {"classes": ["StochasticDepth"], "module": "keras.src.applications.convnext", "registered_name": "StochasticDepth"},
 {"classes": ["InputLayer"], "plain_dtype": true, "keys": ["batch_shape", "dtype", "sparse", "ragged", "name", "optional"],
  "renamed": {"batch_input_shape": "batch_shape"}},
 {"classes": ["Dense"], "keys": ["name", "trainable", "dtype", "units", "activation", "use_bias", "kernel_initializer",
  "bias_initializer", "kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint",
  "quantization_config"], "defaults": {"quantization_config": null}, "dropped_when": {"activity_regularizer": null}},
 {"classes": ["Embedding"], "keys": ["name", "trainable", "dtype", "input_dim", "output_dim", "embeddings_initializer",
  "embeddings_regularizer", "activity_regularizer", "embeddings_constraint", "mask_zero", "quantization_config"],
  "defaults": {"quantization_config": null}, "dropped_when": {"input_length": null}},
 {"classes": ["SimpleRNN"], "keys": ["name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards",
  "stateful", "unroll", "zero_output_for_mask", "units", "activation", "use_bias", "kernel_initializer",
  "recurrent_initializer", "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
  "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
  "recurrent_dropout"], "defaults": {"zero_output_for_mask": false}},
 {"classes": ["LSTM"], "keys": ["name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards",
  "stateful", "unroll", "zero_output_for_mask", "units", "activation", "recurrent_activation", "use_bias",
  "kernel_initializer", "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer",
  "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "recurrent_constraint",
  "bias_constraint", "dropout", "recurrent_dropout", "seed"], "defaults": {"zero_output_for_mask": false, "seed": null},
  "dropped": ["implementation"]},
 {"classes": ["GRU"], "keys": ["name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards",
  "stateful", "unroll", "zero_output_for_mask", "units", "activation", "recurrent_activation", "use_bias",
  "kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer", "recurrent_regularizer",
  "bias_regularizer", "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
  "dropout", "recurrent_dropout", "reset_after", "seed"], "defaults": {"zero_output_for_mask": false, "seed": null},
  "dropped": ["implementation"]},
 {"classes": ["RNN"], "keys": ["name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards",
  "stateful", "unroll", "zero_output_for_mask", "cell"], "defaults": {"zero_output_for_mask": false},
  "wrapped_build": {"cell": "per_step"}},
 {"classes": ["StackedRNNCells"], "keys": ["name", "trainable", "dtype", "cells"]},
 {"classes": ["SimpleRNNCell"], "keys": ["name", "trainable", "dtype", "units", "activation", "use_bias",
  "kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer", "recurrent_regularizer",
  "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
  "seed"], "defaults": {"seed": null}},
 {"classes": ["LSTMCell"], "keys": ["name", "trainable", "dtype", "units", "activation", "recurrent_activation",
  "use_bias", "unit_forget_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
  "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint",
  "bias_constraint", "dropout", "recurrent_dropout", "seed"], "defaults": {"seed": null}, "dropped": ["implementation"]},
 {"classes": ["GRUCell"], "keys": ["name", "trainable", "dtype", "units", "activation", "recurrent_activation",
  "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer",
  "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
  "dropout", "recurrent_dropout", "reset_after", "seed"], "defaults": {"seed": null}, "dropped": ["implementation"]},
 {"classes": ["Bidirectional"], "keys": ["name", "trainable", "dtype", "merge_mode", "layer", "backward_layer"],
  "wrapped_rnn_keys": ["layer", "backward_layer"], "wrapped_build": {"layer": "same", "backward_layer": "same"}},
 {"classes": ["TimeDistributed"], "wrapped_build": {"layer": "per_step"}},
 {"classes": ["function"], "module": "builtins", "registered_name": "function"},
 {"classes": ["BatchNormalization"], "scalar_when_single": ["axis"], "keys": ["name", "trainable", "dtype", "axis", "momentum", "epsilon", "center",
  "scale", "beta_initializer", "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
  "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint", "synchronized", "renorm",
  "renorm_clipping", "renorm_momentum"],
  "defaults": {"renorm": false, "renorm_clipping": null, "renorm_momentum": 0.99}},
 {"classes": ["LayerNormalization"], "keys": ["name", "trainable", "dtype", "axis", "epsilon", "center", "scale",
  "rms_scaling", "beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint",
  "gamma_constraint"], "defaults": {"rms_scaling": false}},
 {"classes": ["Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"], "keys": ["name", "trainable", "dtype", "filters",
  "kernel_size", "strides", "padding", "output_padding", "data_format", "dilation_rate", "activation", "use_bias",
  "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer",
  "kernel_constraint", "bias_constraint"], "dropped_when": {"groups": 1}},
 {"classes": ["Conv3DTranspose"], "defaults": {"dilation_rate": [1, 1, 1]}},
 {"classes": ["DepthwiseConv1D", "DepthwiseConv2D"], "keys": ["name", "trainable", "dtype", "depth_multiplier",
  "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation", "use_bias",
  "depthwise_initializer", "bias_initializer", "depthwise_regularizer", "bias_regularizer", "activity_regularizer",
  "depthwise_constraint", "bias_constraint"], "dropped_when": {"groups": 1}},
 {"classes": ["SeparableConv1D", "SeparableConv2D"], "keys": ["name", "trainable", "dtype", "depth_multiplier",
  "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation", "use_bias",
  "depthwise_initializer", "pointwise_initializer", "bias_initializer", "depthwise_regularizer",
  "pointwise_regularizer", "bias_regularizer", "activity_regularizer", "depthwise_constraint",
  "pointwise_constraint", "bias_constraint"],
  "dropped": ["kernel_initializer", "kernel_regularizer", "kernel_constraint"], "dropped_when": {"groups": 1}},
 {"classes": ["MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
  "AveragePooling3D"], "keys": ["name", "trainable", "dtype", "pool_size", "padding", "strides", "data_format"]},
 {"classes": ["Attention"], "keys": ["name", "trainable", "dtype", "use_scale", "score_mode", "dropout", "seed"],
  "defaults": {"seed": null}},
 {"classes": ["AdditiveAttention"], "keys": ["name", "trainable", "dtype", "use_scale", "dropout", "seed"],
  "defaults": {"seed": null}},
 {"classes": ["MultiHeadAttention"], "no_build_config": true, "dropped": ["query_shape", "key_shape", "value_shape"],
  "dropped_when": {"softmax_robust_masking": false}},
 {"classes": ["AlphaDropout", "Dropout"], "keys": ["name", "trainable", "dtype", "rate", "seed", "noise_shape"],
  "defaults": {"noise_shape": null}},
 {"classes": ["SpatialDropout1D"], "plain_dtype": true, "keys": ["rate", "seed", "name", "dtype"], "dropped": ["trainable", "noise_shape"]},
 {"classes": ["SpatialDropout2D", "SpatialDropout3D"], "plain_dtype": true, "keys": ["rate", "seed", "name", "dtype", "data_format"],
  "dropped": ["trainable", "noise_shape"]},
 {"classes": ["ELU"], "keys": ["name", "alpha", "trainable", "dtype"]},
 {"classes": ["LeakyReLU"], "keys": ["name", "trainable", "dtype", "negative_slope"], "renamed": {"alpha": "negative_slope"}},
 {"classes": ["ZeroPadding1D"], "keys": ["name", "trainable", "dtype", "padding", "data_format"],
  "defaults": {"data_format": "channels_last"}},
 {"classes": ["GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal", "LecunUniform"],
  "keys": ["seed", "input_axes", "output_axes"], "defaults": {"input_axes": null, "output_axes": null}},
 {"classes": ["VarianceScaling"], "keys": ["seed", "scale", "mode", "distribution", "input_axes", "output_axes"],
  "defaults": {"input_axes": null, "output_axes": null}},
 {"classes": ["Orthogonal"], "keys": ["seed", "gain"]},
 {"classes": ["RandomUniform"], "keys": ["seed", "minval", "maxval"]},
 {"classes": ["RandomNormal", "TruncatedNormal"], "keys": ["seed", "mean", "stddev"]}
])json";

const std::map<std::string, Json>& forms() {
  static const std::map<std::string, Json> by_class = [] {
    std::map<std::string, Json> out;
    for (const auto& entry : Json::parse(kForms))
      for (const auto& name : entry["classes"]) out[name.get<std::string>()].update(entry, true);  // entries add up
    return out;
  }();
  return by_class;
}

// The module of each kind of built-in object.
Json module_of_kind(const std::string& class_name) {
  static const std::pair<Kind, const char*> kModules[] = {
      {Kind::Layer, "keras.layers"},           {Kind::Model, "keras"},
      {Kind::Initializer, "keras.initializers"}, {Kind::Regularizer, "keras.regularizers"},
      {Kind::Constraint, "keras.constraints"}, {Kind::Optimizer, "keras.optimizers"},
      {Kind::Loss, "keras.losses"},            {Kind::Metric, "keras.metrics"}};
  for (const auto& [kind, module] : kModules)
    if (Registry::global().resolve(kind, class_name)) return module;
  return nullptr;
}

// Keras 3 zeroes a wrapped recurrent layer's masked outputs when it returns sequences.
void set_wrapped_zero_output(const Json& form, Json& config) {
  const Json keys = form.value("wrapped_rnn_keys", Json::array());
  for (const auto& key : keys) {
    auto wrapped = config.find(key.get<std::string>());
    if (wrapped == config.end() || !wrapped->is_object() || !wrapped->contains("config")) continue;
    Json& inner = (*wrapped)["config"];
    if (inner.is_object() && inner.contains("zero_output_for_mask") && inner.contains("return_sequences"))
      inner["zero_output_for_mask"] = inner["return_sequences"];
  }
}

// A shape without its axis 1 (a TimeDistributed layer's shape per step).
Json without_time_axis(const Json& shape) {
  if (!shape.is_array() || shape.size() < 2) return shape;
  Json out = Json::array();
  for (std::size_t i = 0; i < shape.size(); ++i)
    if (i != 1) out.push_back(shape[i]);
  return out;
}

}  // namespace

void add_wrapped_build_configs(const std::string& class_name, const Json& build_config, Json& config) {
  const Json* form = keras3_form(class_name);
  if (!form || !config.is_object() || !build_config.is_object() || !build_config.contains("input_shape")) return;
  const Json wrapped = form->value("wrapped_build", Json::object());
  for (const auto& [key, how] : wrapped.items()) {
    auto layer = config.find(key);
    if (layer == config.end() || !layer->is_object() || !layer->contains("config")) continue;
    if (!layer->contains("build_config")) {
      const Json& shape = build_config["input_shape"];
      (*layer)["build_config"] = Json{{"input_shape", how == "per_step" ? without_time_axis(shape) : shape}};
    }
    // A wrapped layer that was never built itself (Bidirectional's template RNN) wraps in turn
    // (its cell): Keras 3 built them all.
    if ((*layer)["class_name"].is_string())
      add_wrapped_build_configs((*layer)["class_name"].get<std::string>(), (*layer)["build_config"], (*layer)["config"]);
  }
}

const Json* keras3_form(const std::string& class_name) {
  auto found = forms().find(class_name);
  return found == forms().end() ? nullptr : &found->second;
}

Json keras3_module(const std::string& class_name) {
  if (const Json* form = keras3_form(class_name); form && form->contains("module")) return (*form)["module"];
  return module_of_kind(class_name);
}

void apply_keras3_form(const std::string& class_name, Json& config) {
  const Json* form = keras3_form(class_name);
  if (!form || !config.is_object()) return;
  // (each list bound to a name first: a range over .items() of a temporary would dangle)
  const Json renamed = form->value("renamed", Json::object());
  const Json dropped = form->value("dropped", Json::array());
  const Json dropped_when = form->value("dropped_when", Json::object());
  for (const auto& [ours, theirs] : renamed.items())
    if (config.contains(ours) && !config.contains(theirs.get<std::string>())) {
      config[theirs.get<std::string>()] = config[ours];
      config.erase(ours);
    }
  for (const auto& key : dropped) config.erase(key.get<std::string>());
  for (const auto& [key, value] : dropped_when.items())
    if (auto found = config.find(key); found != config.end() && *found == value) config.erase(found);
  set_wrapped_zero_output(*form, config);
  if (!form->contains("keys")) return;
  const Json defaults = form->value("defaults", Json::object());
  Json ordered = Json::object();
  for (const auto& key_json : (*form)["keys"]) {
    const std::string key = key_json.get<std::string>();
    if (config.contains(key)) ordered[key] = config[key];
    else if (defaults.contains(key)) ordered[key] = defaults[key];
  }
  for (const auto& [key, value] : config.items())
    if (!ordered.contains(key)) ordered[key] = value;
  config = std::move(ordered);
}

}  // namespace ksave::plugins::keras_zip
