// MultiHeadAttention's call arguments, found in the flat list of tensors ksave calls layers with
// (see ../common/multi_head_call.hpp for how), with the Keras masks they carry.
#pragma once

#include <string>

#include "ksave/layer.hpp"

namespace ksave::plugins::attention {

struct MultiHeadArguments {
  Tensor query, value, key, attention_mask;           // key: value when absent
  Tensor query_mask, value_mask, key_mask;            // Keras masks carried by the tensors
  bool use_causal_mask = false, return_attention_scores = false;
  int query_slot = -1, value_slot = -1, key_slot = -1;  // their positions in the input list (key: -1 when absent)
};

// `object` names the layer for errors.
MultiHeadArguments resolve_arguments(const Tensors& inputs, const CallContext& ctx, const std::string& object);

}  // namespace ksave::plugins::attention
