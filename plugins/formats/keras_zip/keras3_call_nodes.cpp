#include "keras3_call_nodes.hpp"

#include "keras3_forms.hpp"

namespace ksave::plugins::keras_zip {
namespace {

bool is_reference(const Json& v) {
  return v.is_array() && (v.size() == 3 || v.size() == 4) && v[0].is_string() && v[1].is_number_integer() &&
         v[2].is_number_integer();
}

bool is_keras_tensor(const Json& v) { return v.is_object() && v.value("class_name", "") == "__keras_tensor__"; }

// Writes each reference of a call as a __keras_tensor__ with the shape and dtype of the call's
// next input. The loader flattened the call's tensors in the order they are written (positional
// references first, then those of the keywords; framework/src/structured_call.hpp), and a call
// made in C++ is written in its inputs' order, so that order pairs references with inputs.
class TensorWriter {
 public:
  explicit TensorWriter(const std::vector<Json>* specs) : specs_(specs) {}

  Json operator()(const Json& v) {
    if (is_reference(v)) return keras_tensor(v, next_spec());
    Json out = v;
    if (v.is_array())
      for (std::size_t i = 0; i < v.size(); ++i) out[i] = (*this)(v[i]);
    else if (v.is_object())
      for (auto& [k, item] : out.items()) item = (*this)(v[k]);
    return out;
  }

 private:
  Json next_spec() { return specs_ && next_ < specs_->size() ? (*specs_)[next_++] : Json::object(); }

  const std::vector<Json>* specs_;
  std::size_t next_ = 0;
};

// A list-form node (one reference, or a list of references each carrying the call's kwargs):
// the references are the positional tensors, the kwargs the keywords. Keras 3's form of the call
// takes `positional` positionally (MultiHeadAttention(query, value, ...)): one given by keyword
// after the positional ones (tf-keras's form, which ksave also writes for calls made in C++)
// moves to its position.
Json keras3_node(const Json& node, const Json& positional, const std::vector<Json>* specs) {
  const Json references = is_reference(node) ? Json::array({node}) : node;
  if (!references.is_array() || references.empty() || !is_reference(references[0])) return node;
  TensorWriter write(specs);
  Json args = Json::array();
  for (const auto& r : references) args.push_back(write(r));
  Json kwargs = write(references[0].size() > 3 && references[0][3].is_object() ? references[0][3] : Json::object());
  while (args.size() < positional.size() && kwargs.contains(positional[args.size()].get<std::string>())) {
    const std::string argument = positional[args.size()].get<std::string>();
    args.push_back(kwargs[argument]);
    kwargs.erase(argument);
  }
  return Json{{"args", args}, {"kwargs", kwargs}};
}

// Keras 3 builds such a layer on its first call with build(<argument>_shape, ...)
// (MultiHeadAttention's build(query_shape, value_shape, key_shape=None)) and records the
// arguments given: an optional one's shape only when it was passed.
Json shapes_dict_build_config(const Json& node, const Json& arguments) {
  if (!node.is_object() || !node.contains("args")) return nullptr;
  const Json& args = node["args"];
  const Json& kwargs = node["kwargs"];
  Json shapes = Json::object();
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string argument = arguments[i].get<std::string>();
    const Json* tensor = i < args.size() ? &args[i] : kwargs.contains(argument) ? &kwargs[argument] : nullptr;
    if (tensor && is_keras_tensor(*tensor)) shapes[argument + "_shape"] = (*tensor)["config"]["shape"];
  }
  return Json{{"shapes_dict", shapes}};
}

// `entry` with its build_config where Keras 3 writes it: after the object's own keys, before the
// layer entry's name and inbound_nodes.
void set_build_config(Json& entry, const Json& build_config) {
  Json out = Json::object();
  for (const auto& [key, value] : entry.items()) {
    if (key == "build_config") continue;
    if (key == "name") out["build_config"] = build_config;
    out[key] = value;
  }
  if (!out.contains("build_config")) out["build_config"] = build_config;
  entry = std::move(out);
}

}  // namespace

void write_calls_of_shape_built_layers_as_keras3_nodes(Json& functional_config, const NodeInputSpecs& specs) {
  if (!functional_config.is_object() || !functional_config.contains("layers")) return;
  for (auto& entry : functional_config["layers"]) {
    if (!entry.is_object() || !entry.contains("inbound_nodes") || !entry["inbound_nodes"].is_array()) continue;
    // Only layers built from their call's shapes: their call is (query, value, key, ...), so
    // several references are its positional tensors, not one list argument as for Add or
    // Concatenate. The other layers whose calls take tensors by keyword (TFOpLambda) are
    // tf-keras's alone, and Keras 3 never reads them.
    const Json form = keras3_form(entry.value("class_name", ""));
    const Json shape_arguments = form.value("build_from_call_shapes", Json::array());
    if (shape_arguments.empty()) continue;
    const Json positional = form.value("positional_call_tensors", Json::array());
    const auto found = specs.find(entry.value("name", ""));
    Json& nodes = entry["inbound_nodes"];
    for (std::size_t i = 0; i < nodes.size(); ++i)
      nodes[i] = keras3_node(nodes[i], positional,
                             found != specs.end() && i < found->second.size() ? &found->second[i] : nullptr);
    if (!nodes.empty())
      if (Json build_config = shapes_dict_build_config(nodes[0], shape_arguments); !build_config.is_null())
        set_build_config(entry, build_config);
  }
}

}  // namespace ksave::plugins::keras_zip
