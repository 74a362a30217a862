#include "multi_head_arguments.hpp"

#include "../common/multi_head_call.hpp"

namespace ksave::plugins::attention {

MultiHeadArguments resolve_arguments(const Tensors& inputs, const CallContext& ctx, const std::string& object) {
  const multi_head::CallSlots s = multi_head::call_slots(inputs.size(), ctx.kwargs, object);
  auto mask_of = [&](int slot) { return slot >= 0 && slot < static_cast<int>(ctx.masks.size()) ? ctx.masks[slot] : Tensor(); };
  MultiHeadArguments a;
  a.query = inputs[s.query].as_float();
  a.value = inputs[s.value].as_float();
  a.key = s.key >= 0 ? inputs[s.key].as_float() : a.value;
  if (s.mask >= 0) a.attention_mask = inputs[s.mask];
  a.query_mask = mask_of(s.query);
  a.value_mask = mask_of(s.value);
  a.key_mask = s.key >= 0 ? mask_of(s.key) : Tensor();
  a.use_causal_mask = s.use_causal_mask;
  a.return_attention_scores = s.return_attention_scores;
  a.query_slot = s.query;
  a.value_slot = s.value;
  a.key_slot = s.key;
  return a;
}

}  // namespace ksave::plugins::attention
