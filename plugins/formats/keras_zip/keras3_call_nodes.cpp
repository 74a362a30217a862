#include "keras3_call_nodes.hpp"

namespace ksave::plugins::keras_zip {
namespace {

bool is_reference(const Json& v) {
  return v.is_array() && (v.size() == 3 || v.size() == 4) && v[0].is_string() && v[1].is_number_integer() &&
         v[2].is_number_integer();
}

// Keras 3 rebuilds the placeholder and at once replaces it with the output of the layer named
// in keras_history (functional.deserialize_node), so its shape and dtype are not read; they
// must only be valid.
Json keras_tensor(const Json& reference) {
  return Json{{"class_name", "__keras_tensor__"},
              {"config", {{"shape", Json::array()}, {"dtype", "float32"},
                          {"keras_history", Json::array({reference[0], reference[1], reference[2]})}}}};
}

Json with_keras_tensors(const Json& v) {
  if (is_reference(v)) return keras_tensor(v);
  Json out = v;
  if (v.is_array())
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = with_keras_tensors(v[i]);
  else if (v.is_object())
    for (auto& [k, item] : out.items()) item = with_keras_tensors(v[k]);
  return out;
}

// A list-form node (one reference, or a list of references each carrying the call's kwargs):
// the references are the positional tensors (query, value, key), the kwargs the keywords.
Json keras3_node(const Json& node) {
  const Json references = is_reference(node) ? Json::array({node}) : node;
  if (!references.is_array() || references.empty() || !is_reference(references[0])) return node;
  const Json kwargs = references[0].size() > 3 ? references[0][3] : Json::object();
  Json args = Json::array();
  for (const auto& r : references) args.push_back(keras_tensor(r));
  return Json{{"args", args}, {"kwargs", with_keras_tensors(kwargs)}};
}

}  // namespace

void write_attention_calls_as_keras3_nodes(Json& functional_config) {
  if (!functional_config.is_object() || !functional_config.contains("layers")) return;
  for (auto& entry : functional_config["layers"]) {
    if (!entry.is_object() || !entry.contains("inbound_nodes") || !entry["inbound_nodes"].is_array()) continue;
    // Only MultiHeadAttention: the other layers whose calls take tensors by keyword
    // (TFOpLambda) are tf-keras's alone, and Keras 3 never reads them. Its call is (query,
    // value, key, ...): several references are its positional tensors, not one list argument
    // as for Add or Concatenate.
    if (entry.value("class_name", "") != "MultiHeadAttention") continue;
    for (auto& node : entry["inbound_nodes"]) node = keras3_node(node);
  }
}

}  // namespace ksave::plugins::keras_zip
