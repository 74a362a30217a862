#include "keras3_config.hpp"

#include "keras3_call_nodes.hpp"
#include "keras3_exported_names.hpp"

#include <algorithm>
#include <ctime>

#include "ksave/keras3_operations.hpp"
#include "ksave/nested_calls.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/registry.hpp"
#include "keras3_forms.hpp"
#include "keras3_layer_order.hpp"
#include "keras3_nodes.hpp"

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

// Keras 3's dtype of a layer: a DTypePolicy object where tf-keras wrote the policy's name, or
// its mixed-precision Policy object ({"class_name": "Policy", "config": {"name": "mixed_float16"}}).
Json dtype_policy(const Json& dtype) {
  Json name;
  if (dtype.is_string()) name = dtype;
  else if (dtype.is_object() && dtype.value("class_name", "") == "Policy" && dtype.contains("config")) name = dtype["config"]["name"];
  else return dtype;
  Json policy = Json::object();
  policy["module"] = "keras";
  policy["class_name"] = "DTypePolicy";
  policy["config"] = Json{{"name", name}};
  policy["registered_name"] = nullptr;
  return policy;
}

bool is_layer_class(const std::string& class_name) {
  return Registry::global().resolve(Kind::Layer, class_name) || Registry::global().resolve(Kind::Model, class_name);
}

// The rewrites that follow the keys themselves, whatever the class: recurrent layers have no
// time_major (Keras 3 is batch-major only); a layer's dtype is a DTypePolicy unless its form
// keeps the plain name (InputLayer); a form's single-element lists Keras 3 writes as the element
// (BatchNormalization's axis, which tf-keras wrote as the built list).
void rewrite_keys_for_keras3(const std::string& class_name, const Json& form, Json& config) {
  if (!config.is_object()) return;
  if (config.contains("time_major") && config["time_major"] == Json(false)) config.erase("time_major");
  const Json scalar_keys = form.value("scalar_when_single", Json::array());
  for (const auto& key : scalar_keys)
    if (auto found = config.find(key.get<std::string>()); found != config.end() && found->is_array() && found->size() == 1)
      *found = Json((*found)[0]);
  apply_keras3_form(form, config);
  const bool plain_dtype = form.value("plain_dtype", false);
  if (!plain_dtype && config.contains("dtype") && is_layer_class(class_name)) config["dtype"] = dtype_policy(config["dtype"]);
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

// A functional layer entry's own keys (name, inbound_nodes), after the object's.
void copy_entry_keys(const Json& value, Json& out) {
  for (const auto& [k, v] : value.items())
    if (!out.contains(k) && k != "class_name" && k != "config" && k != "module" && k != "registered_name" && k != "build_config")
      out[k] = v;
}

// A class whose form names an op_module called with a constant is a keras.ops call (x + 3.0):
// a merge layer takes tensors only.
bool is_op_call(const Json& form, const Json& value) {
  if (!form.contains("op_module") || !value.contains("inbound_nodes") || !value["inbound_nodes"].is_array())
    return false;
  const Json& nodes = value["inbound_nodes"];
  return std::any_of(nodes.begin(), nodes.end(), has_constant_arguments);
}

// Keras 3's entry of an operation in a functional model: its module, its name alone as config,
// no build_config.
Json keras3_op_entry(const std::string& class_name, const Json& form, const Json& value) {
  Json out = Json::object();
  out["module"] = form["op_module"];
  out["class_name"] = class_name;
  out["config"] = Json{{"name", value["config"].value("name", "")}};
  out["registered_name"] = class_name;
  copy_entry_keys(value, out);
  return out;
}

// A TFOpLambda / SlicingOpLambda as the Keras 3 operation that runs its function (Keras 3 has no
// TFOpLambda), its tensors with the shapes and dtypes of the calls' inputs.
Json keras3_operation(const Json& value, const NodeInputSpecs& specs) {
  const auto found = specs.find(value.value("name", ""));
  return keras3_operations::operation_entry(value, [&](const Json& ref, std::size_t node, std::size_t input) {
    const bool known = found != specs.end() && node < found->second.size() && input < found->second[node].size();
    return keras_tensor(ref, known ? found->second[node][input] : Json::object());
  });
}

// A serialized object (already converted inside) in Keras 3's key order.
Json keras3_object(const Json& value, const NodeInputSpecs& specs) {
  std::string class_name = value["class_name"].is_string() ? value["class_name"].get<std::string>() : "";
  // ksave writes nested objects as tf-keras 2.21 does: a registered class by registered_name.
  if (value.contains("registered_name") && value["registered_name"].is_string() &&
      value["registered_name"].get<std::string>().find('>') != std::string::npos)
    class_name = value["registered_name"].get<std::string>();
  if (keras3_operations::is_tf_op_layer(class_name) && value.contains("inbound_nodes")) return keras3_operation(value, specs);
  const Json form = keras3_form(class_name);
  if (is_op_call(form, value)) return keras3_op_entry(class_name, form, value);
  Json config = to_keras3_config(value["config"], specs);
  Json out = Json::object();
  const auto separator = class_name.find('>');
  if (separator != std::string::npos) {
    // A package-registered custom class: Keras 3 finds it by registered_name, and writes the
    // Python module that defines it (null when the class's form names none).
    out["module"] = form.value("module", Json(nullptr));
    out["class_name"] = class_name.substr(separator + 1);
  } else {
    out["module"] = keras3_module(class_name, form);
    out["class_name"] = keras3_exported_name(class_name);
  }
  const bool model = form.value("model", false);
  Json build_config = model && config.is_object() ? model_build_config(class_name, config) : value.value("build_config", Json(nullptr));
  // Keras 3's Sequential config repeats its build shape.
  if (model && config.is_object() && !config.contains("build_input_shape") && !build_config["input_shape"].is_null())
    config["build_input_shape"] = build_config["input_shape"];
  rewrite_keys_for_keras3(class_name, form, config);
  add_wrapped_build_configs(form, build_config, config);
  const bool graph_model = config.is_object() && config.contains("layers") && config.contains("input_layers");
  if (graph_model) {
    shift_nested_model_calls(config, -1);
    // The calls of classes built from their call's shapes first (several positional tensors and
    // tensors by keyword); the general writer leaves nodes already in Keras 3's form as they are.
    write_calls_of_shape_built_layers_as_keras3_nodes(config, specs);
    write_keras3_nodes(config, specs);
    order_layers_as_keras3(config);
  }
  out["config"] = config;
  // Keras 3 names a custom class, and classes it does not export ("Functional"), by registered_name.
  if (separator != std::string::npos) out["registered_name"] = class_name;
  else out["registered_name"] = form.value("registered_name", Json(nullptr));
  if (!build_config.is_null() && !form.value("no_build_config", false)) out["build_config"] = build_config;
  // Keras 3 writes every model's compile_config; the archive writer fills the top model's.
  if (model) out["compile_config"] = Json::object();
  // Functional layer entries keep their name and inbound_nodes beside the object keys.
  copy_entry_keys(value, out);
  return out;
}

// Activation names that ksave and Keras 3 give one function: ksave's name and Keras 3's. (The
// model JSON reader, framework/src/serialization/keras3_activations.cpp, names them back.)
constexpr std::pair<const char*, const char*> kKeras3Activations[] = {{"hard_sigmoid_keras3", "hard_sigmoid"},
                                                                           {"swish", "silu"}};

// The activation keys of one object's config, named as Keras 3 names the same functions
// (to_keras3_config converts each nested object's config on its own, so each key is named once).
// ksave serializes Keras's own activations by name (a string), and only they are renamed.
// ksave's "hard_sigmoid" is tf-keras's clip(0.2 x + 0.5, 0, 1), which Keras 3 has under no name:
// its "hard_sigmoid" is relu6(x + 3) / 6 (keras/src/activations/activations.py), so an archive
// naming it would load with other numbers.
void name_activations_as_keras3(Json& config) {
  if (!config.is_object()) return;
  for (const char* key : {"activation", "recurrent_activation"}) {
    auto name = config.find(key);
    if (name == config.end() || !name->is_string()) continue;
    if (*name == "hard_sigmoid")
      throw Error("layer '" + config.value("name", std::string()) + "': " + key + " 'hard_sigmoid' is tf-keras's " +
                  "clip(0.2 x + 0.5, 0, 1), which Keras 3 does not have (Keras 3's hard_sigmoid is relu6(x + 3) / 6, " +
                  "ksave's 'hard_sigmoid_keras3'): a Keras 3 archive would load with other numbers; save the model " +
                  "as .h5 or as a SavedModel");
    for (const auto& [ours, keras3] : kKeras3Activations)
      if (*name == ours) *name = keras3;
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

// A wrapper that sets its recurrent layers' zero_output_for_mask from their return_sequences
// (Keras 3's Bidirectional) writes it into their configs. It is dropped on read, as before
// recurrent layers read the key, so that a model read back from its own archive keeps the config
// it was saved with; ksave's Bidirectional does not yet zero masked outputs itself (issue 16).
void drop_wrapper_set_zero_output(Json& value) {
  if (value.is_array()) {
    for (auto& item : value) drop_wrapper_set_zero_output(item);
    return;
  }
  if (!value.is_object()) return;
  for (auto& [key, item] : value.items()) drop_wrapper_set_zero_output(item);
  const auto class_name = value.find("class_name");
  if (class_name == value.end() || !class_name->is_string() || !value.contains("config") || !value["config"].is_object())
    return;
  const Json wrapped_rnn_keys = keras3_form(class_name->get<std::string>()).value("wrapped_rnn_keys", Json::array());
  for (const auto& key : wrapped_rnn_keys) {
    auto wrapped = value["config"].find(key.get<std::string>());
    if (wrapped == value["config"].end() || !wrapped->is_object() || !wrapped->contains("config")) continue;
    Json& inner = (*wrapped)["config"];
    if (inner.is_object() && inner.contains("zero_output_for_mask") &&
        inner["zero_output_for_mask"] == inner.value("return_sequences", Json(false)))
      inner.erase("zero_output_for_mask");
  }
}

}  // namespace

void keras3_names_to_ksave(Json& config) {
  number_list_nodes_as_keras2(config);
  drop_wrapper_set_zero_output(config);
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

// An optimizer as Keras 3's compile_config holds it. A LossScaleOptimizer is Keras 3's class
// whichever generation it came from (tf-keras's is LossScaleOptimizerV3), with its inner
// optimizer in Keras 3's form and no `dynamic` key (Keras 3's scale is always dynamic).
Json keras3_optimizer(const Optimizer& optimizer) {
  const Json config = optimizer.get_config();
  const auto inner = optimizer.inner_optimizer();
  if (!inner)
    return to_keras3_config(Json{{"class_name", optimizer.class_name()}, {"config", keras3_optimizer_config(config)}});
  if (config.contains("dynamic") && config["dynamic"] == Json(false))
    throw Error("optimizer " + optimizer.class_name() + ": Keras 3 has no LossScaleOptimizer with a fixed scale");
  Json own = Json::object();
  own["name"] = config.value("name", std::string("loss_scale_optimizer"));
  own["inner_optimizer"] = nullptr;  // set below, already in Keras 3's form
  own["initial_scale"] = config.at("initial_scale");
  own["dynamic_growth_steps"] = config.at("dynamic_growth_steps");
  Json out = to_keras3_config(Json{{"class_name", "LossScaleOptimizer"}, {"config", own}});
  out["config"]["inner_optimizer"] = keras3_optimizer(*inner);
  return out;
}

}  // namespace

Json compile_config_of(const Model& model) {
  const Json& training = model.training_config();
  auto get = [&](const char* key) { return training.is_object() && training.contains(key) ? training[key] : Json(nullptr); };
  const auto optimizer = model.optimizer();
  Json compile = Json::object();
  compile["optimizer"] = keras3_optimizer(*optimizer);
  compile["loss"] = to_keras3_config(get("loss"));
  compile["loss_weights"] = get("loss_weights");
  compile["metrics"] = to_keras3_config(keras3_metrics(get("metrics")));
  compile["weighted_metrics"] = to_keras3_config(keras3_metrics(get("weighted_metrics")));
  compile["run_eagerly"] = false;
  compile["steps_per_execution"] = 1;
  compile["jit_compile"] = false;
  return compile;
}

Json to_keras3_config(const Json& config, const NodeInputSpecs& specs) {
  if (is_serialized_object(config)) {
    Json out = keras3_object(config, specs);
    name_activations_as_keras3(out["config"]);
    return out;
  }
  if (config.is_array()) {
    Json out = Json::array();
    for (const auto& item : config) out.push_back(to_keras3_config(item, specs));
    return out;
  }
  if (config.is_object()) {
    Json out = Json::object();
    for (const auto& [k, v] : config.items()) out[k] = to_keras3_config(v, specs);
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
