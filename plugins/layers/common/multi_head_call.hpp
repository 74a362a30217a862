// Which of a MultiHeadAttention call's flat input tensors is the query, value, key and
// attention_mask, and its flags (header only: the attention plugin and the ONNX exporter read
// calls alike). A functional graph records the call as Keras did: tf-keras 2.x keeps the query as
// the first argument and `value`, `key`, `attention_mask` as keywords; Keras 3 may pass value and
// key positionally. The loader hands such a call over with placeholders ({"_ksave_input": i})
// in its kwargs (framework/src/structured_call.hpp, whose keys are repeated here because plugins
// see only public headers); a call without them passes [query, value, key?, attention_mask?].
#pragma once

#include <string>
#include <utility>

#include "ksave/error.hpp"
#include "ksave/json.hpp"

namespace ksave::plugins::multi_head {

struct CallSlots {
  int query = -1, value = -1, key = -1, mask = -1;  // positions in the input list; -1: absent
  bool use_causal_mask = false, return_attention_scores = false;
};

namespace detail {

inline int placeholder_index(const Json& v, const std::string& object, const std::string& argument) {
  if (v.is_null()) return -1;
  if (!v.is_object() || !v.contains("_ksave_input") || !v["_ksave_input"].is_number_integer())
    throw Error(object + ": call argument '" + argument + "' expected a tensor, found " + v.dump().substr(0, 200));
  return v["_ksave_input"].get<int>();
}

inline bool flag(const Json* kwargs, const char* key) {
  return kwargs && kwargs->contains(key) && (*kwargs)[key].is_boolean() && (*kwargs)[key].get<bool>();
}

}  // namespace detail

// `object` names the layer for errors.
inline CallSlots call_slots(std::size_t input_count, const Json* kwargs, const std::string& object) {
  CallSlots s;
  if (kwargs && kwargs->contains("_ksave_args")) {
    // Positional arguments in Keras's order, then keywords.
    const Json& args = (*kwargs)["_ksave_args"];
    const Json positional = args.is_array() ? args : Json::array({args});
    if (positional.size() > 3)
      throw Error(object + ": expected at most query, value and key as positional arguments, found " +
                  std::to_string(positional.size()));
    int* order[] = {&s.query, &s.value, &s.key};
    for (std::size_t i = 0; i < positional.size(); ++i) {
      std::string argument = "#";  // appended, not "#" + string: GCC 12 warns falsely (-Wrestrict) on that
      argument += std::to_string(i);
      *order[i] = detail::placeholder_index(positional[i], object, argument);
    }
    const std::pair<const char*, int*> named[] = {
        {"query", &s.query}, {"value", &s.value}, {"key", &s.key}, {"attention_mask", &s.mask}};
    for (const auto& [name, slot] : named)
      if (kwargs->contains(name)) *slot = detail::placeholder_index((*kwargs)[name], object, name);
  } else {
    if (input_count < 2 || input_count > 4)
      throw Error(object + " takes [query, value], [query, value, key] or [query, value, key, attention_mask], found " +
                  std::to_string(input_count) + " inputs");
    s.query = 0;
    s.value = 1;
    s.key = input_count > 2 ? 2 : -1;
    s.mask = input_count > 3 ? 3 : -1;
  }
  for (int slot : {s.query, s.value, s.key, s.mask})
    if (slot >= static_cast<int>(input_count))
      throw Error(object + ": call argument refers to input " + std::to_string(slot) + " of " + std::to_string(input_count));
  if (s.query < 0 || s.value < 0) throw Error(object + ": the call has no query or no value");
  s.use_causal_mask = detail::flag(kwargs, "use_causal_mask");
  s.return_attention_scores = detail::flag(kwargs, "return_attention_scores");
  return s;
}

}  // namespace ksave::plugins::multi_head
