#include "keras3_config.hpp"

#include "keras3_call_nodes.hpp"

#include <ctime>

#include "ksave/nested_calls.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/registry.hpp"

namespace ksave::plugins::keras_zip {
namespace {

// The version ksave writes into metadata.json: the Keras 3 release whose archive layout it
// follows.
constexpr const char* kKeras3Version = "3.10.0";

bool is_serialized_object(const Json& v) { return v.is_object() && v.contains("class_name") && v.contains("config"); }

// {"class_name", "config"} of a Keras 3 serialized object, with a package-registered class
// named by its registered_name ("Pkg>Name") as the rest of ksave resolves it.
Json plain_object(const Json& value) {
  if (!value.is_object() || !value.contains("class_name")) return value;
  Json out = Json::object();
  out["class_name"] = value["class_name"];
  if (value.contains("registered_name") && value["registered_name"].is_string() &&
      value["registered_name"].get<std::string>().find('>') != std::string::npos)
    out["class_name"] = value["registered_name"];
  out["config"] = value.contains("config") ? value["config"] : Json::object();
  return out;
}

// Keras 3's module for a built-in class, judged by the kind of object the name resolves to.
Json module_for(const std::string& class_name) {
  if (class_name == "Sequential" || class_name == "Model") return "keras";
  if (class_name == "Functional") return "keras.src.models.functional";
  // Layers keras.applications defines for its backbones and does not export from keras.layers.
  if (class_name == "LayerScale" || class_name == "StochasticDepth") return "keras.src.applications.convnext";
  static const std::pair<Kind, const char*> kModules[] = {
      {Kind::Layer, "keras.layers"},           {Kind::Model, "keras"},
      {Kind::Initializer, "keras.initializers"}, {Kind::Regularizer, "keras.regularizers"},
      {Kind::Constraint, "keras.constraints"}, {Kind::Optimizer, "keras.optimizers"},
      {Kind::Loss, "keras.losses"},            {Kind::Metric, "keras.metrics"}};
  for (const auto& [kind, module] : kModules)
    if (Registry::global().resolve(kind, class_name)) return module;
  return nullptr;
}

// The keys whose Keras 3 spelling differs (KERAS_H5_JSON_KERAS3.md 5.2): an InputLayer's
// batch_input_shape is batch_shape; BatchNormalization's axis is an int (tf.keras wrote the
// built list); recurrent layers have no time_major (Keras 3 is batch-major only).
void rewrite_layer_config_for_keras3(const std::string& class_name, Json& config) {
  if (!config.is_object()) return;
  if (class_name == "InputLayer" && config.contains("batch_input_shape") && !config.contains("batch_shape")) {
    config["batch_shape"] = config["batch_input_shape"];
    config.erase("batch_input_shape");
  }
  if (class_name == "BatchNormalization" && config.contains("axis") && config["axis"].is_array() && config["axis"].size() == 1)
    config["axis"] = Json(config["axis"][0]);
  if (config.contains("time_major") && config["time_major"] == Json(false)) config.erase("time_major");
  // tf-keras's depthwise, separable and transposed convolutions are Convs and write groups (and
  // SeparableConv2D the unused kernel options); Keras 3's refuse them as unknown arguments.
  if (class_name == "DepthwiseConv2D" || class_name == "SeparableConv2D" || class_name == "Conv2DTranspose" ||
      class_name == "DepthwiseConv1D" || class_name == "SeparableConv1D" || class_name == "Conv1DTranspose" ||
      class_name == "Conv3DTranspose")
    if (config.contains("groups") && config["groups"] == Json(1)) config.erase("groups");
  if (class_name == "SeparableConv2D" || class_name == "SeparableConv1D")
    for (const char* key : {"kernel_initializer", "kernel_regularizer", "kernel_constraint"}) config.erase(key);
  // tf-keras's SpatialDropout layers write Dropout's keys; Keras 3's take no trainable or
  // noise_shape (their noise shape is fixed by the layer).
  if (class_name == "SpatialDropout1D" || class_name == "SpatialDropout2D" || class_name == "SpatialDropout3D")
    for (const char* key : {"trainable", "noise_shape"}) config.erase(key);
  // tf-keras's MultiHeadAttention writes its build shapes (its from_config needs them) and
  // softmax_robust_masking; Keras 3's refuses them as unknown arguments.
  if (class_name == "MultiHeadAttention")
    for (const char* key : {"query_shape", "key_shape", "value_shape", "softmax_robust_masking"}) config.erase(key);
}

// Keras 3's build_config of a model: a Sequential's input shape, null for a Functional model
// (which builds from its graph).
Json model_build_config(const std::string& class_name, const Json& config) {
  if (class_name != "Sequential") return Json{{"input_shape", nullptr}};
  if (config.contains("build_input_shape") && !config["build_input_shape"].is_null())
    return Json{{"input_shape", config["build_input_shape"]}};
  if (config.contains("layers") && config["layers"].is_array() && !config["layers"].empty()) {
    const Json& first = config["layers"][0];
    if (first.value("class_name", "") == "InputLayer" && first.contains("config")) {
      const Json& input = first["config"];
      for (const char* key : {"batch_shape", "batch_input_shape"})
        if (input.contains(key)) return Json{{"input_shape", input[key]}};
    }
  }
  return Json{{"input_shape", nullptr}};
}

// compile()'s metrics as the user gave them, which Keras 3 keeps: tf-keras's training_config
// holds them serialized per output ([[MeanMetricWrapper{name: "accuracy", fn: ...}]]); a
// wrapper goes back to its name, and one output's list is the list itself.
Json keras3_metrics(const Json& metrics) {
  if (!metrics.is_array()) return metrics;
  Json out = Json::array();
  for (const auto& m : metrics) {
    if (m.is_array()) {
      out.push_back(keras3_metrics(m));
    } else if (m.is_object() && m.value("class_name", "") == "MeanMetricWrapper" && m.contains("config") &&
               m["config"].contains("name")) {
      out.push_back(m["config"]["name"]);
    } else {
      out.push_back(m);
    }
  }
  if (out.size() == 1 && out[0].is_array()) return out[0];
  return out;
}

// A serialized object (already converted inside) in Keras 3's key order.
Json keras3_object(const Json& value) {
  std::string class_name = value["class_name"].is_string() ? value["class_name"].get<std::string>() : "";
  // ksave writes nested objects as tf-keras 2.21 does: a registered class by registered_name.
  if (value.contains("registered_name") && value["registered_name"].is_string() &&
      value["registered_name"].get<std::string>().find('>') != std::string::npos)
    class_name = value["registered_name"].get<std::string>();
  Json config = to_keras3_config(value["config"]);
  Json out = Json::object();
  const auto separator = class_name.find('>');
  if (separator != std::string::npos) {
    // A package-registered custom class: Keras 3 finds it by registered_name.
    out["module"] = nullptr;
    out["class_name"] = class_name.substr(separator + 1);
  } else {
    out["module"] = module_for(class_name);
    out["class_name"] = class_name;
  }
  rewrite_layer_config_for_keras3(class_name, config);
  if (class_name == "Functional" || class_name == "Model") {
    shift_nested_model_calls(config, -1);
    write_attention_calls_as_keras3_nodes(config);
  }
  out["config"] = config;
  // Keras 3 names classes it does not export by their own name: "Functional" is one.
  out["registered_name"] = separator != std::string::npos || class_name == "Functional" ? Json(class_name) : Json(nullptr);
  if ((class_name == "Sequential" || class_name == "Functional" || class_name == "Model") && config.is_object())
    out["build_config"] = model_build_config(class_name, out["config"]);
  // Functional layer entries keep their name and inbound_nodes beside the object keys.
  for (const auto& [k, v] : value.items())
    if (k != "class_name" && k != "config" && k != "module" && k != "registered_name") out[k] = v;
  return out;
}

// Activation names whose meaning changed in Keras 3: Keras 3's name and ksave's name of the
// Keras 3 function (ksave's plain name keeps tf-keras's meaning).
constexpr std::pair<const char*, const char*> kKeras3Activations[] = {{"hard_sigmoid", "hard_sigmoid_keras3"}};

bool is_activation_key(const std::string& key) { return key == "activation" || key == "recurrent_activation"; }

// Renames an activation, given as a name or as {"class_name": "function", "config": name}.
// The name inside an activation value: the value itself, or a function object's config.
Json* activation_name(Json& value) {
  if (value.is_string()) return &value;
  if (value.is_object() && value.value("class_name", "") == "function" && value.contains("config") && value["config"].is_string())
    return &value["config"];
  return nullptr;
}

void rename_activation(Json& value, bool to_ksave) {
  Json* name = activation_name(value);
  if (!name) return;
  for (const auto& [keras3, ours] : kKeras3Activations)
    if (*name == (to_ksave ? keras3 : ours)) *name = to_ksave ? ours : keras3;
}

void rename_activations(Json& config, bool to_ksave) {
  if (config.is_array()) {
    for (auto& item : config) rename_activations(item, to_ksave);
  } else if (config.is_object()) {
    for (auto& [key, value] : config.items()) {
      if (is_activation_key(key)) rename_activation(value, to_ksave);
      rename_activations(value, to_ksave);
    }
  }
}

// Keras 3's own {"args", "kwargs"} nodes, which the config normalizer renumbers itself.
bool has_object_nodes(const Json& config) {
  for (const auto& entry : config.value("layers", Json::array()))
    for (const auto& node : entry.value("inbound_nodes", Json::array()))
      if (node.is_object()) return true;
  return false;
}

// Every Functional model config inside `value` (list-form nodes: ksave's own archives).
void number_list_nodes_as_keras2(Json& value) {
  if (value.is_array()) {
    for (auto& item : value) number_list_nodes_as_keras2(item);
  } else if (value.is_object()) {
    for (auto& [key, item] : value.items()) number_list_nodes_as_keras2(item);
    const std::string cls = value.value("class_name", "");
    if ((cls == "Functional" || cls == "Model") && value.contains("config") && !has_object_nodes(value["config"]))
      shift_nested_model_calls(value["config"], +1);
  }
}

}  // namespace

void keras3_names_to_ksave(Json& config) {
  rename_activations(config, true);
  number_list_nodes_as_keras2(config);
}

Json training_config_from_compile_config(const Json& compile_config) {
  if (!compile_config.is_object())
    throw Error("compile_config must be a JSON object, found " + compile_config.dump());
  Json training = Json::object();
  auto get = [&](const char* key) { return compile_config.contains(key) ? compile_config[key] : Json(nullptr); };
  training["optimizer_config"] = plain_object(get("optimizer"));
  training["loss"] = get("loss");
  training["metrics"] = get("metrics");
  training["weighted_metrics"] = get("weighted_metrics");
  training["loss_weights"] = get("loss_weights");
  return training;
}

namespace {

// An optimizer's config as Keras 3 takes it: tf-keras's keys that change no number (the
// is_legacy_optimizer marker, the XLA switch jit_compile, a zero legacy decay) go, since Keras
// 3's optimizers refuse them as unknown arguments (found when Keras 3.15 loaded a .keras of a
// model compiled with "adam" in ksave).
Json keras3_optimizer_config(Json config) {
  config.erase("is_legacy_optimizer");
  config.erase("jit_compile");
  if (auto decay = config.find("decay"); decay != config.end() && decay->is_number() && decay->get<double>() == 0.0)
    config.erase(decay);
  return config;
}

}  // namespace

Json compile_config_of(const Model& model) {
  const Json& training = model.training_config();
  auto get = [&](const char* key) { return training.is_object() && training.contains(key) ? training[key] : Json(nullptr); };
  const auto optimizer = model.optimizer();
  Json compile = Json::object();
  compile["optimizer"] = to_keras3_config(
      Json{{"class_name", optimizer->class_name()}, {"config", keras3_optimizer_config(optimizer->get_config())}});
  compile["loss"] = to_keras3_config(get("loss"));
  compile["loss_weights"] = get("loss_weights");
  compile["metrics"] = to_keras3_config(keras3_metrics(get("metrics")));
  compile["weighted_metrics"] = to_keras3_config(keras3_metrics(get("weighted_metrics")));
  compile["run_eagerly"] = false;
  compile["steps_per_execution"] = 1;
  compile["jit_compile"] = false;
  return compile;
}

Json to_keras3_config(const Json& config) {
  if (is_serialized_object(config)) {
    Json out = keras3_object(config);
    rename_activations(out["config"], false);
    return out;
  }
  if (config.is_array()) {
    Json out = Json::array();
    for (const auto& item : config) out.push_back(to_keras3_config(item));
    return out;
  }
  if (config.is_object()) {
    Json out = Json::object();
    for (const auto& [k, v] : config.items()) out[k] = to_keras3_config(v);
    return out;
  }
  return config;
}

Json archive_metadata() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d@%H:%M:%S", &local);
  return Json{{"keras_version", kKeras3Version}, {"date_saved", date}};
}

}  // namespace ksave::plugins::keras_zip
