// Config forms of every Keras generation, rewritten into the tf.keras 2.x form that the
// from_config functions read. Each rule names the generation it serves.
#include <algorithm>

#include "ksave/error.hpp"
#include "ksave/keras3_operations.hpp"
#include "ksave/nested_calls.hpp"
#include "ksave/serialization.hpp"
#include "structured_call.hpp"

namespace ksave {
namespace {

bool is_serialized_object(const Json& v) {
  return v.is_object() && v.contains("class_name") && v.contains("config");
}

// Keras 3 node: {"args": [...], "kwargs": {...}} with __keras_tensor__ dicts inside args →
// Keras 2 node: [[layer, node, tensor, kwargs], ...].
void collect_tensor_refs(const Json& v, Json& refs) {
  if (v.is_object()) {
    if (v.value("class_name", "") == "__keras_tensor__") {
      const Json& history = v.at("config").at("keras_history");
      refs.push_back(Json::array({history.at(0), history.at(1), history.at(2), Json::object()}));
      return;
    }
    for (const auto& [k, item] : v.items()) collect_tensor_refs(item, refs);
  } else if (v.is_array()) {
    for (const auto& item : v) collect_tensor_refs(item, refs);
  }
}

// A keyword argument's value with each __keras_tensor__ dict replaced by tf.keras 2.x's
// reference [layer, node, tensor].
Json keras2_references(const Json& v) {
  if (v.is_object() && v.value("class_name", "") == "__keras_tensor__") {
    const Json& history = v.at("config").at("keras_history");
    return Json::array({history.at(0), history.at(1), history.at(2)});
  }
  Json out = v;
  if (v.is_array())
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = keras2_references(v[i]);
  else if (v.is_object())
    for (const auto& [k, item] : v.items()) out[k] = keras2_references(item);
  return out;
}

bool is_keras_tensor(const Json& v) { return v.is_object() && v.value("class_name", "") == "__keras_tensor__"; }

// A Python constant a Keras 3 op takes as a positional argument: a number, a bool, or nested
// lists of them (keras.ops.add(x, 3.0), which MobileNetV3's hard_sigmoid writes as x + 3.0).
bool is_constant_argument(const Json& v) {
  if (v.is_number() || v.is_boolean()) return true;
  return v.is_array() && !v.empty() && std::all_of(v.begin(), v.end(), is_constant_argument);
}

// A Keras 3 op call with constant positional arguments, in tf.keras's structured form that the
// loader hands to the layer (framework/src/structured_call.hpp): each argument a reference or
// ["_CONSTANT_VALUE", -1, value, kwargs]; null when the call has no such constant.
Json op_call_with_constants(const Json& args, const Json& kwargs) {
  if (!args.is_array() || std::none_of(args.begin(), args.end(), is_constant_argument)) return nullptr;
  Json elements = Json::array();
  for (const auto& arg : args) {
    if (is_keras_tensor(arg)) {
      const Json& history = arg.at("config").at("keras_history");
      elements.push_back(Json::array({history.at(0), history.at(1), history.at(2), kwargs}));
    } else if (is_constant_argument(arg)) {
      elements.push_back(Json::array({structured_call::kKerasConstant, -1, arg, kwargs}));
    } else {
      return nullptr;  // nested structures of tensors: the flat reading below
    }
  }
  return elements;
}

Json normalize_node(const Json& node) {
  if (!node.is_object() || !node.contains("args")) return node;
  Json refs = Json::array();
  collect_tensor_refs(node["args"], refs);
  // Keyword arguments that are plain values (training flags, masks given as None) are kept on
  // every reference, as Keras 2 kept them on the call.
  Json kwargs = Json::object();
  if (node.contains("kwargs") && node["kwargs"].is_object())
    for (const auto& [k, v] : node["kwargs"].items()) {
      // Keras 3 records `training` on some calls (its Random* layers: true), but its Functional
      // passes the outer call's training to every layer whenever it is given, as predict, fit
      // and evaluate always do: the recorded value never decides, unlike in tf.keras 2.x.
      if (k == "training") continue;
      Json tensor_refs = Json::array();
      collect_tensor_refs(v, tensor_refs);
      if (tensor_refs.empty()) {
        kwargs[k] = v;
      } else if (k == "initial_state" || k == "constants") {
        // tf.keras's RNN folds these into its inputs list, and so the node's references.
        for (auto& r : tensor_refs) refs.push_back(r);
      } else {
        // Other tensors keep their keyword, as tf.keras records them
        // (MultiHeadAttention's value, key, attention_mask).
        kwargs[k] = keras2_references(v);
      }
    }
  if (Json call = op_call_with_constants(node["args"], kwargs); !call.is_null()) return call;
  for (auto& r : refs) r[3] = kwargs;
  return refs;
}

// input_layers / output_layers: Keras 3 writes a bare triple for one tensor and dicts for named
// structures; Keras 2 always a list of triples.
Json normalize_endpoints(const Json& v) {
  if (v.is_array() && !v.empty() && v[0].is_string()) return Json::array({v});
  if (v.is_object()) {
    Json list = Json::array();
    for (const auto& [k, item] : v.items()) list.push_back(item);
    return list;
  }
  return v;
}

// Flags that old configs (and tools writing them) store as integers, `stateful: -1` among them:
// Keras only ever tests them for truth (`if self.stateful:`), so any nonzero integer is true.
void integer_flags_as_booleans(Json& config) {
  for (const char* key : {"stateful", "return_sequences", "return_state", "go_backwards", "unroll", "time_major",
                          "use_bias", "reset_after", "unit_forget_bias"})
    if (config.contains(key) && config[key].is_number_integer()) config[key] = config[key].get<std::int64_t>() != 0;
}

Json normalize_layer_config(const std::string& class_name, Json config) {
  if (!config.is_object()) return config;
  integer_flags_as_booleans(config);
  if (class_name == "InputLayer") {
    if (config.contains("batch_shape") && !config.contains("batch_input_shape")) {
      config["batch_input_shape"] = config["batch_shape"];
      config.erase("batch_shape");
    }
    if (config.contains("input_dtype") && !config.contains("dtype")) {  // Keras 1
      config["dtype"] = config["input_dtype"];
      config.erase("input_dtype");
    }
  }
  if (class_name == "Sequential" && config.is_array()) return config;  // handled by caller
  return config;
}

bool has_keras3_nodes(const Json& model_value) {
  const Json& config = model_value["config"];
  if (!config.is_object() || !config.contains("layers") || !config["layers"].is_array()) return false;
  for (const auto& layer : config["layers"])
    if (layer.is_object() && layer.contains("inbound_nodes") && layer["inbound_nodes"].is_array())
      for (const auto& node : layer["inbound_nodes"])
        if (node.is_object() && node.contains("args")) return true;
  return false;
}

}  // namespace

Json normalize_config(const Json& value) {
  if (value.is_array()) {
    Json out = Json::array();
    for (const auto& item : value) out.push_back(normalize_config(item));
    return out;
  }
  if (!value.is_object()) return value;
  // TensorFlow.js model.json artifacts wrap the Keras JSON.
  if (value.contains("modelTopology") && !value.contains("class_name")) {
    const Json& topology = value["modelTopology"];
    return normalize_config(topology.contains("model_config") ? topology["model_config"] : topology);
  }
  if (!is_serialized_object(value)) {
    Json out = Json::object();
    for (const auto& [k, v] : value.items()) out[k] = normalize_config(v);
    return out;
  }

  // Keras 3's keras.ops calls (Relu6, Mean, GetItem, ...): the TFOpLambda of their TensorFlow
  // function, tf-keras's form of the same call.
  if (keras3_operations::is_tf_op_operation(value)) return normalize_config(keras3_operations::tf_op_entry(value));

  Json out = Json::object();
  std::string class_name = value["class_name"].is_string() ? value["class_name"].get<std::string>() : "";
  // Keras 3 and tf.keras >= 2.13: a packaged custom object keeps its "pkg>Name" key in
  // registered_name while class_name is the plain name.
  if (value.contains("registered_name") && value["registered_name"].is_string()) {
    std::string registered = value["registered_name"].get<std::string>();
    if (registered.find('>') != std::string::npos) class_name = registered;
  }
  out["class_name"] = class_name;
  Json config = value["config"];
  // Keras <= 2.2.2: a Sequential config is the bare list of its layers.
  if (class_name == "Sequential" && config.is_array()) config = Json{{"layers", config}};
  if (config.is_object()) {
    Json normalized = Json::object();
    for (const auto& [k, v] : config.items()) {
      if (k == "input_layers" || k == "output_layers") normalized[k] = normalize_endpoints(v);
      else normalized[k] = normalize_config(v);
    }
    config = normalize_layer_config(class_name, std::move(normalized));
    if (has_keras3_nodes(value)) shift_nested_model_calls(config, +1);  // Keras 3 numbers them from 0
  }
  // Keras 3 builds a deserialized object from its build_config; a Sequential without an
  // InputLayer gets its input shape only there. tf.keras 2.x kept it as build_input_shape.
  if (class_name == "Sequential" && config.is_object() && !config.contains("build_input_shape") &&
      value.contains("build_config") && value["build_config"].is_object() &&
      value["build_config"].contains("input_shape") && !value["build_config"]["input_shape"].is_null())
    config["build_input_shape"] = value["build_config"]["input_shape"];
  out["config"] = config;
  // Functional layer entries carry their own name and nodes next to class_name/config.
  for (const auto& [k, v] : value.items()) {
    if (k == "class_name" || k == "config" || k == "module" || k == "registered_name" || k == "build_config") continue;
    if (k == "inbound_nodes") {
      Json nodes = Json::array();
      for (const auto& node : v) nodes.push_back(normalize_node(node));
      out[k] = nodes;
    } else {
      out[k] = v;
    }
  }
  return out;
}

}  // namespace ksave
