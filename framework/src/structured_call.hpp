// Calls whose arguments are more than a flat list of tensors, as tf.keras 2.4+ records them for
// TFOpLambda/SlicingOpLambda (layers with _preserve_input_structure_in_config): the first
// argument kept as written (one tensor, or a list of tensors and constants), and tensors passed
// by keyword (`tf.math.add(x, y=other)` is recorded as {"y": ["other", 0, 0]}); and calls on a
// dict of tensors (DenseFeatures' features: the node is {"a": ["a", 0, 0, {}], ...}).
//
// ksave runs every call on a flat list of tensors, so such a node is held as: the tensors in
// order (first argument, then keyword arguments), and its call kwargs with each tensor replaced
// by {"_ksave_input": i}, constants of the first argument by {"_ksave_constant": value}, and the
// first argument's structure under "_ksave_args". Layers that take such calls read them back
// with the same placeholders; get_config writes Keras's form again.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ksave/json.hpp"

namespace ksave::structured_call {

inline constexpr const char* kArgsKey = "_ksave_args";
inline constexpr const char* kInputKey = "_ksave_input";
inline constexpr const char* kConstantKey = "_ksave_constant";
// tf.keras's marker for a constant element of the first argument:
// ["_CONSTANT_VALUE", -1, value, kwargs].
inline constexpr const char* kKerasConstant = "_CONSTANT_VALUE";

// True when a config node cannot be read as a flat list of [layer, node, tensor, kwargs].
bool is_structured(const Json& node);

struct FlatCall {
  std::vector<Json> refs;  // [layer, node, tensor] of each input, in input order
  Json kwargs;             // placeholders as described above
};
// Flattens a structured config node.
FlatCall flatten(const Json& node);

// A call of `class_name` on `input_count` tensors with these kwargs, as Keras records it. A flat
// call of MultiHeadAttention (from C++: [query, value, key?, attention_mask?]) becomes tf.keras's
// form, the query as first argument and the rest as keywords, so that a saved config is one
// Keras reads; every other call is returned as given.
Json keras_call_kwargs(const std::string& class_name, std::size_t input_count, const Json& call_kwargs);

// Keras's node data for a structured call whose inputs are referenced by `ref_of(i)`
// ([layer, node, tensor]).
Json to_config(const Json& call_kwargs, const std::function<Json(std::size_t)>& ref_of);

}  // namespace ksave::structured_call
