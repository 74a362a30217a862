#include "ksave/keras3_operations.hpp"

#include <algorithm>
#include <map>

#include "ksave/error.hpp"
#include "ksave/tf_function_names.hpp"
#include "serialization/keras3_operation_table.hpp"
#include "serialization/keras3_split_sections.hpp"
#include "structured_call.hpp"

namespace ksave::keras3_operations {
namespace {

constexpr const char* kOpsPackage = "keras.src.ops.";

bool is_keras_tensor(const Json& v) { return v.is_object() && v.value("class_name", "") == "__keras_tensor__"; }

bool is_reference(const Json& v) {
  return v.is_array() && (v.size() == 3 || v.size() == 4) && v[0].is_string() && v[0] != structured_call::kKerasConstant &&
         v[1].is_number_integer() && v[2].is_number_integer();
}

bool is_constant_element(const Json& v) { return v.is_array() && v.size() >= 3 && v[0] == structured_call::kKerasConstant; }

const Operation* find_operation(const std::string& class_name, const std::string& module) {
  for (const auto& op : operation_table())
    if (op.class_name == class_name && op.module == module) return &op;
  return nullptr;
}

// The operation recorded as `function`, else the first that runs it under another of its names.
const Operation* operation_running(const std::string& function) {
  for (const auto& op : operation_table())
    if (op.function == function) return &op;
  const std::string& canonical = tf_function_names::canonical_tf_function(function);
  for (const auto& op : operation_table())
    if (tf_function_names::canonical_tf_function(op.function) == canonical) return &op;
  return nullptr;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// ---- Keras 3 → TFOpLambda ----

// A value of a Keras 3 call in tf-keras's form: a tensor as its reference [layer, node, tensor].
Json tf_value(const Json& v) {
  if (is_keras_tensor(v)) {
    const Json& history = v.at("config").at("keras_history");
    return Json::array({history.at(0), history.at(1), history.at(2)});
  }
  Json out = v;
  if (v.is_array())
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = tf_value(v[i]);
  return out;
}

// `x[...]`'s key as tf-keras's slice_spec: Keras 3 writes a slice as {"class_name": "__slice__",
// "config": {"start", "stop", "step"}}, tf-keras as the bare {"start", "stop", "step"}.
Json tf_slice_spec(const Json& key) {
  if (key.is_array()) {
    Json out = Json::array();
    for (const auto& e : key) out.push_back(tf_slice_spec(e));
    return out;
  }
  if (key.is_object() && key.value("class_name", "") == "__slice__") return key.value("config", Json::object());
  if (key.is_object() && key.value("class_name", "") == "__ellipsis__") return Json{{"class_name", "__ellipsis__"}};
  return tf_value(key);
}

// Each parameter of `source` (an operation's config, or its call's kwargs) as the function's
// keyword in `kwargs`; keys that are no parameter are refused, so that nothing is ignored.
void read_parameters(const std::vector<Parameter>& parameters, const Json& source, Json& kwargs,
                     const std::string& object, const char* where) {
  for (const auto& item : source.items()) {
    const std::string& key = item.key();  // not a structured binding: clang 14 cannot capture one
    if (key != "name" && std::none_of(parameters.begin(), parameters.end(), [&](const Parameter& p) { return p.keras3 == key; }))
      throw Error(object + ": " + where + " '" + key + "' (" + item.value().dump().substr(0, 80) + ") is not supported by ksave");
  }
  for (const auto& p : parameters) {
    if (p.keras3.empty()) {
      kwargs[p.tf] = *p.tf_default;
      continue;
    }
    const bool given = source.contains(p.keras3);
    if (!given && !p.keras3_default) throw Error(object + ": the " + where + " has no '" + p.keras3 + "'");
    const Json value = given ? source[p.keras3] : *p.keras3_default;
    if (!p.keras3_default && value.is_null())
      throw Error(object + ": " + where + " '" + p.keras3 + "' is null, which ksave does not support (Keras 3 and TensorFlow "
                  "compute differently without a value)");
    if (p.tf.empty()) {
      if (value != *p.keras3_default)
        throw Error(object + ": " + p.keras3 + " " + value.dump().substr(0, 80) + " is not supported (ksave runs only " +
                    p.keras3_default->dump() + ")");
      continue;
    }
    if (!value.is_null()) kwargs[p.tf] = value;
  }
}

// One Keras 3 node ({"args", "kwargs"}) as tf-keras's list-form node of the function's call: the
// first argument's tensors (or constants) each carrying the keywords, the other arguments and the
// operation's parameters as keywords.
Json tf_node(const Operation& op, const Json& node, Json kwargs, const std::string& object) {
  if (!node.is_object() || !node.contains("args") || !node["args"].is_array() || node["args"].empty())
    throw Error(object + ": expected a call node {\"args\": [...], \"kwargs\": {...}}, found " + node.dump().substr(0, 120));
  const Json& args = node["args"];
  if (args.size() - 1 > op.positional.size())
    throw Error(object + ": the call has " + std::to_string(args.size()) + " positional arguments, ksave's " + op.class_name +
                " takes at most " + std::to_string(op.positional.size() + 1));
  read_parameters(op.call_kwargs, node.value("kwargs", Json::object()), kwargs, object, "call argument");
  if (op.class_name == "Split" && kwargs["num_or_size_splits"].is_array())
    kwargs["num_or_size_splits"] = sizes_from_indices(kwargs["num_or_size_splits"], axis_length(args[0], kwargs.value("axis", 0)), object);
  for (std::size_t i = 1; i < args.size(); ++i)
    kwargs[op.positional[i - 1]] = op.function == kGetItemFunction ? tf_slice_spec(args[i]) : tf_value(args[i]);
  auto element = [&](const Json& arg) {
    if (is_keras_tensor(arg)) {
      Json ref = tf_value(arg);
      ref.push_back(kwargs);
      return ref;
    }
    return Json::array({structured_call::kKerasConstant, -1, arg, kwargs});
  };
  const Json& first = args[0];
  if (op.list_first && first.is_array()) {
    Json elements = Json::array();
    for (const auto& item : first) elements.push_back(element(item));
    return elements;
  }
  // One tensor or constant: tf-keras's node is the element itself (a list of one would be a
  // list as the first argument once a keyword holds a tensor).
  return element(first);
}

// ---- TFOpLambda → Keras 3 ----

// A value of a tf-keras call in Keras 3's form: a reference becomes the tensor `tensor_of` gives.
Json keras3_value(const Json& v, const std::function<Json(const Json&)>& tensor) {
  if (is_reference(v)) return tensor(v);
  Json out = v;
  if (v.is_array())
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = keras3_value(v[i], tensor);
  return out;
}

Json keras3_slice_spec(const Json& spec) {
  if (spec.is_array()) {
    Json out = Json::array();
    for (const auto& e : spec) out.push_back(keras3_slice_spec(e));
    return out;
  }
  if (spec.is_object() && spec.value("class_name", "") == "__ellipsis__")
    return Json{{"class_name", "__ellipsis__"}, {"config", Json::object()}};
  if (spec.is_object())
    return Json{{"class_name", "__slice__"},
                {"config", {{"start", spec.value("start", Json(nullptr))}, {"stop", spec.value("stop", Json(nullptr))},
                            {"step", spec.value("step", Json(nullptr))}}}};
  return spec;
}

// The parameters' Keras 3 keys from the function's keywords (taken out of `kwargs`).
Json keras3_parameters(const std::vector<Parameter>& parameters, Json& kwargs, const std::string& object) {
  Json out = Json::object();
  for (const auto& p : parameters) {
    if (p.keras3.empty()) {
      // Equal: the keyword is Keras 3's behaviour, so nothing is written. Else it stays in kwargs,
      // where the caller refuses it; absent, the function's default differs from Keras 3.
      if (!kwargs.contains(p.tf))
        throw Error(object + ": the call has no '" + p.tf + "'; Keras 3's operation computes as " + p.tf + "=" + p.tf_default->dump() +
                    ", not as TensorFlow's default");
      if (kwargs[p.tf] == *p.tf_default) kwargs.erase(p.tf);
      continue;
    }
    if (!p.tf.empty() && kwargs.contains(p.tf) && !kwargs[p.tf].is_null()) {
      out[p.keras3] = kwargs[p.tf];
    } else if (!p.keras3_default && !p.tf_default) {
      throw Error(object + ": the call has no '" + p.tf + "', which Keras 3's operation requires");
    } else {
      out[p.keras3] = p.keras3_value_for_absent_keyword();
    }
    if (!p.tf.empty()) kwargs.erase(p.tf);
  }
  return out;
}

// TensorFlow keywords that tf-keras records at values that change nothing (tf.transpose's
// conjugate=False for real tensors, tf.matmul's flags) and that no Keras 3 operation takes: left
// out; any other value stays, to be refused.
void drop_neutral_keywords(Json& kwargs) {
  static const std::pair<const char*, bool> kNeutral[] = {{"conjugate", false},   {"exclusive", false},
                                                          {"reverse", false},     {"optimize", true},
                                                          {"transpose_a", false},
                                                          {"transpose_b", false}, {"adjoint_a", false},
                                                          {"adjoint_b", false},   {"a_is_sparse", false},
                                                          {"b_is_sparse", false}};
  kwargs.erase("name");
  for (const auto& [key, value] : kNeutral)
    if (kwargs.contains(key) && kwargs[key] == Json(value)) kwargs.erase(key);
}

struct Keras3Call {
  Json args = Json::array();
  Json kwargs = Json::object();
  Json config = Json::object();
};

// One list-form node of a TFOpLambda (a reference or constant alone: a structured call's single
// first argument; else a list of them, each carrying the call's keywords) as Keras 3's call.
Keras3Call keras3_call(const Operation& op, const Json& node, std::size_t node_index, const TensorOf& tensor_of,
                       const std::string& object) {
  const Json elements = is_reference(node) || is_constant_element(node) ? Json::array({node}) : node;
  if (!elements.is_array() || elements.empty() ||
      !std::all_of(elements.begin(), elements.end(), [](const Json& e) { return is_reference(e) || is_constant_element(e); }))
    throw Error(object + ": a call ksave cannot write in Keras 3's form: " + node.dump().substr(0, 120));
  Json kwargs = elements[0].size() > 3 && elements[0][3].is_object() ? elements[0][3] : Json::object();
  // The inputs in the order the loader flattened them: the first argument's, then the keywords'.
  std::map<std::string, std::size_t> input_of;
  auto number = [&](const Json& v, auto&& self) -> void {
    if (is_reference(v)) {
      input_of.emplace(Json::array({v[0], v[1], v[2]}).dump(), input_of.size());
    } else if (v.is_array() || v.is_object()) {
      for (const auto& item : v) self(item, self);
    }
  };
  for (const auto& e : elements)
    if (is_reference(e)) number(e, number);
  number(kwargs, number);
  auto tensor = [&](const Json& ref) {
    const Json plain = Json::array({ref[0], ref[1], ref[2]});
    return tensor_of(plain, node_index, input_of.at(plain.dump()));
  };
  auto operand = [&](const Json& e) { return is_reference(e) ? tensor(e) : e[2]; };

  Keras3Call call;
  if (op.list_first) {
    Json list = Json::array();
    for (const auto& e : elements) list.push_back(operand(e));
    call.args.push_back(list);
  } else if (elements.size() == 1) {
    call.args.push_back(operand(elements[0]));
  } else {
    throw Error(object + ": tf." + op.function + " called on a list of " + std::to_string(elements.size()) +
                " tensors has no Keras 3 operation");
  }
  for (const auto& name : op.positional) {
    if (!kwargs.contains(name)) break;
    call.args.push_back(op.function == kGetItemFunction ? keras3_slice_spec(kwargs[name]) : keras3_value(kwargs[name], tensor));
    kwargs.erase(name);
  }
  call.config = keras3_parameters(op.config, kwargs, object);
  if (op.class_name == "Split" && call.config["indices_or_sections"].is_array())
    call.config["indices_or_sections"] = indices_from_sizes(call.config["indices_or_sections"],
                                                           axis_length(call.args[0], call.config.value("axis", 0)), object);
  call.kwargs = keras3_parameters(op.call_kwargs, kwargs, object);
  drop_neutral_keywords(kwargs);
  for (const auto& [key, value] : kwargs.items())
    throw Error(object + ": argument '" + key + "' (" + value.dump().substr(0, 80) + ") has no place in Keras 3's " +
                op.class_name + " (" + op.module + "): Keras 3 cannot load the model");
  return call;
}

}  // namespace

bool is_tf_op_operation(const Json& entry) {
  const auto module = entry.find("module");
  return module != entry.end() && module->is_string() && module->get<std::string>().rfind(kOpsPackage, 0) == 0 &&
         entry.contains("inbound_nodes");
}

Json tf_op_entry(const Json& entry) {
  auto text = [](const Json& v, const char* key) {
    return v.is_object() && v.contains(key) && v[key].is_string() ? v[key].get<std::string>() : std::string();
  };
  const std::string class_name = text(entry, "class_name"), module = text(entry, "module");
  const Json config = entry.contains("config") && entry["config"].is_object() ? entry["config"] : Json::object();
  std::string name = text(entry, "name");
  if (name.empty()) name = text(config, "name");
  const std::string object = "layer '" + name + "' (Keras 3 operation " + module + "." + class_name + ")";
  const Operation* op = find_operation(class_name, module);
  if (!op)
    throw Error(object + ": ksave has no equivalent of this operation; supported: " + joined(supported_operations()));
  if (!entry["inbound_nodes"].is_array())
    throw Error(object + ": inbound_nodes must be a list, found " + entry["inbound_nodes"].dump().substr(0, 80));
  Json nodes = Json::array();
  try {
    Json kwargs = Json::object();
    read_parameters(op->config, config, kwargs, object, "parameter");
    for (const auto& node : entry["inbound_nodes"]) nodes.push_back(tf_node(*op, node, kwargs, object));
  } catch (const nlohmann::json::exception& e) {  // a tensor without keras_history, ...
    throw Error(object + ": malformed call node (" + e.what() + ")");
  }
  Json out = Json::object();
  out["class_name"] = op->function == kGetItemFunction ? "SlicingOpLambda" : "TFOpLambda";
  out["config"] = Json{{"name", name}, {"trainable", true}, {"dtype", "float32"}, {"function", op->function}};
  out["name"] = name;
  out["inbound_nodes"] = nodes;
  return out;
}

bool is_tf_op_layer(const std::string& class_name) { return class_name == "TFOpLambda" || class_name == "SlicingOpLambda"; }

Json operation_entry(const Json& entry, const TensorOf& tensor_of) {
  const Json& config = entry.at("config");
  const std::string name = entry.value("name", config.value("name", std::string()));
  const std::string function = config.value("function", std::string());
  const std::string object = "layer '" + name + "' (" + entry.value("class_name", std::string()) + ", tf." + function + ")";
  const Operation* op = operation_running(function);
  if (!op) {
    std::vector<std::string> functions;
    for (const auto& o : operation_table()) functions.push_back("tf." + o.function);
    functions.erase(std::unique(functions.begin(), functions.end()), functions.end());
    throw Error(object + ": Keras 3 cannot load a TFOpLambda, and this function has no Keras 3 operation in ksave; "
                "functions ksave writes as Keras 3 operations: " + joined(functions));
  }
  Json op_config = Json::object();
  Json nodes = Json::array();
  const Json& inbound = entry.value("inbound_nodes", Json::array());
  for (std::size_t i = 0; i < inbound.size(); ++i) {
    Keras3Call call = keras3_call(*op, inbound[i], i, tensor_of, object);
    if (i == 0) op_config = call.config;
    else if (call.config != op_config)
      throw Error(object + ": its calls pass different parameters, which one Keras 3 operation cannot hold");
    nodes.push_back(Json{{"args", call.args}, {"kwargs", call.kwargs}});
  }
  Json out = Json::object();
  out["module"] = op->module;
  out["class_name"] = op->class_name;
  Json keras3_config = Json{{"name", name}};
  for (const auto& [key, value] : op_config.items()) keras3_config[key] = value;
  out["config"] = keras3_config;
  out["registered_name"] = op->class_name;
  out["name"] = name;
  out["inbound_nodes"] = nodes;
  return out;
}

std::string tf_keras_refusal(const std::string& function) {
  if (function.rfind(kKeras3OnlyPrefix, 0) != 0) return "";
  const Operation* op = operation_running(function);
  if (!op) return "'" + function + "' is no operation of ksave's";
  return "Keras 3's operation " + op->module + "." + op->class_name + " has no form tf-keras loads: " + op->keras3_only;
}

std::vector<std::string> supported_operations() {
  std::vector<std::string> names;
  for (const auto& op : operation_table()) names.push_back(op.module + "." + op.class_name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace ksave::keras3_operations
