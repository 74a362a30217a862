// MultiHeadAttention's call arguments, found in the flat list of tensors ksave calls layers with.
// A functional graph records the call as Keras did: tf-keras 2.x keeps the query as the first
// argument and `value`, `key`, `attention_mask` as keywords; Keras 3 may pass value and key
// positionally. The loader hands such a call over with placeholders ({"_ksave_input": i}) in
// its kwargs (framework/src/structured_call.hpp); a call from C++ passes
// [query, value, key?, attention_mask?] in that order.
#pragma once

#include <string>

#include "ksave/layer.hpp"

namespace ksave::plugins::attention {

struct MultiHeadArguments {
  Tensor query, value, key, attention_mask;           // key: value when absent
  Tensor query_mask, value_mask, key_mask;            // Keras masks carried by the tensors
  bool use_causal_mask = false, return_attention_scores = false;
};

// `object` names the layer for errors.
MultiHeadArguments resolve_arguments(const Tensors& inputs, const CallContext& ctx, const std::string& object);

}  // namespace ksave::plugins::attention
