#include "structured_call.hpp"

#include "ksave/error.hpp"

namespace ksave::structured_call {
namespace {

// tf.keras's test for a serialized tensor reference (convert_inner_node_data): a list
// [str, int, int] with an optional kwargs dict.
bool is_ref(const Json& v) {
  return v.is_array() && (v.size() == 3 || v.size() == 4) && v[0].is_string() && v[1].is_number_integer() &&
         v[2].is_number_integer() && v[0] != kKerasConstant;
}

bool is_constant(const Json& v) { return v.is_array() && v.size() >= 3 && v[0] == kKerasConstant; }

bool has_ref_inside(const Json& v) {
  if (is_ref(v)) return true;
  if (v.is_array())
    for (const auto& item : v)
      if (has_ref_inside(item)) return true;
  if (v.is_object())
    for (const auto& [k, item] : v.items())
      if (has_ref_inside(item)) return true;
  return false;
}

Json placeholder(std::size_t index) { return Json{{kInputKey, index}}; }

// Keyword arguments: tensor references become placeholders, in traversal order.
Json replace_refs(const Json& v, std::vector<Json>& refs) {
  if (is_ref(v)) {
    refs.push_back(Json::array({v[0], v[1], v[2]}));
    return placeholder(refs.size() - 1);
  }
  Json out = v;
  if (v.is_array())
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = replace_refs(v[i], refs);
  else if (v.is_object())
    for (const auto& [k, item] : v.items()) out[k] = replace_refs(item, refs);
  return out;
}

// The first argument: each element is a reference or a constant carrying the call's kwargs.
Json first_arg_structure(const Json& v, std::vector<Json>& refs, Json& kwargs) {
  auto take_kwargs = [&](const Json& element) {
    if (element.size() > 3 && element[3].is_object() && kwargs.is_null()) kwargs = element[3];
  };
  if (is_ref(v)) {
    take_kwargs(v);
    refs.push_back(Json::array({v[0], v[1], v[2]}));
    return placeholder(refs.size() - 1);
  }
  if (is_constant(v)) {
    take_kwargs(v);
    return Json{{kConstantKey, v[2]}};
  }
  if (v.is_object()) {  // a dict of tensors (DenseFeatures' features), keys kept in the file's order
    Json out = Json::object();
    for (const auto& [key, item] : v.items()) out[key] = first_arg_structure(item, refs, kwargs);
    return out;
  }
  if (!v.is_array()) throw Error("call arguments: unexpected element " + v.dump().substr(0, 200));
  Json out = Json::array();
  for (const auto& item : v) out.push_back(first_arg_structure(item, refs, kwargs));
  return out;
}

Json restore(const Json& v, const std::function<Json(const Json&)>& at_placeholder) {
  if (v.is_object() && (v.contains(kInputKey) || v.contains(kConstantKey))) return at_placeholder(v);
  Json out = v;
  if (v.is_array())
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = restore(v[i], at_placeholder);
  else if (v.is_object())
    for (const auto& [k, item] : v.items()) out[k] = restore(item, at_placeholder);
  return out;
}

}  // namespace

bool is_structured(const Json& node) {
  if (node.is_object()) return true;  // tf-keras's node of a layer called on a dict: {"a": ref, ...}
  if (!node.is_array()) return false;
  if (is_ref(node) || is_constant(node)) return true;  // a single first argument, unwrapped
  for (const auto& element : node) {
    if (!is_ref(element)) return true;  // nested lists or constants
    if (element.size() > 3 && has_ref_inside(element[3])) return true;
  }
  return false;
}

FlatCall flatten(const Json& node) {
  FlatCall call;
  Json kwargs;
  Json args = first_arg_structure(node, call.refs, kwargs);
  call.kwargs = replace_refs(kwargs.is_null() ? Json::object() : kwargs, call.refs);
  call.kwargs[kArgsKey] = std::move(args);
  return call;
}

Json to_config(const Json& call_kwargs, const std::function<Json(std::size_t)>& ref_of) {
  Json kwargs = Json::object();
  for (const auto& [k, v] : call_kwargs.items())
    if (k != kArgsKey)
      kwargs[k] = restore(v, [&](const Json& p) {
        if (!p.contains(kInputKey)) throw Error("call arguments: a constant placeholder outside the first argument");
        return ref_of(p[kInputKey].get<std::size_t>());
      });
  return restore(call_kwargs.at(kArgsKey), [&](const Json& p) {
    if (p.contains(kConstantKey)) return Json::array({kKerasConstant, -1, p[kConstantKey], kwargs});
    Json ref = ref_of(p[kInputKey].get<std::size_t>());
    ref.push_back(kwargs);
    return ref;
  });
}

Json keras_call_kwargs(const std::string& class_name, std::size_t input_count, const Json& call_kwargs) {
  const bool flat = !call_kwargs.is_object() || !call_kwargs.contains(kArgsKey);
  if (class_name != "MultiHeadAttention" || !flat || input_count < 2 || input_count > 4) return call_kwargs;
  Json kwargs = call_kwargs.is_object() ? call_kwargs : Json::object();
  kwargs[kArgsKey] = Json::array({placeholder(0)});  // tf.keras writes [[query, 0, 0, kwargs]]
  const char* keywords[] = {"value", "key", "attention_mask"};
  for (std::size_t i = 1; i < input_count; ++i) kwargs[keywords[i - 1]] = placeholder(i);
  return kwargs;
}

}  // namespace ksave::structured_call
