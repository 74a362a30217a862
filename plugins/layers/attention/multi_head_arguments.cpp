#include "multi_head_arguments.hpp"

#include "ksave/error.hpp"

namespace ksave::plugins::attention {
namespace {

// The framework's placeholder keys (framework/src/structured_call.hpp), repeated here because
// plugins see only public headers.
constexpr const char* kArgsKey = "_ksave_args";
constexpr const char* kInputKey = "_ksave_input";

// Positions in the flat input list: query, value, key, attention_mask.
struct Slots {
  int query = -1, value = -1, key = -1, mask = -1;
};

int placeholder_index(const Json& v, const std::string& object, const std::string& argument) {
  if (v.is_null()) return -1;
  if (!v.is_object() || !v.contains(kInputKey))
    throw Error(object + ": call argument '" + argument + "' expected a tensor, found " + v.dump().substr(0, 200));
  return v[kInputKey].get<int>();
}

Slots slots_of(const Tensors& inputs, const Json* kwargs, const std::string& object) {
  Slots s;
  if (kwargs && kwargs->contains(kArgsKey)) {
    // Positional arguments in Keras's order, then keywords.
    const Json& args = (*kwargs)[kArgsKey];
    const Json positional = args.is_array() ? args : Json::array({args});
    int* order[] = {&s.query, &s.value, &s.key, &s.mask};
    if (positional.size() > 3)
      throw Error(object + ": expected at most query, value and key as positional arguments, found " +
                  std::to_string(positional.size()));
    for (std::size_t i = 0; i < positional.size(); ++i)
      *order[i] = placeholder_index(positional[i], object, "#" + std::to_string(i));
    const std::pair<const char*, int*> named[] = {
        {"query", &s.query}, {"value", &s.value}, {"key", &s.key}, {"attention_mask", &s.mask}};
    for (const auto& [name, slot] : named)
      if (kwargs->contains(name)) *slot = placeholder_index((*kwargs)[name], object, name);
  } else {
    if (inputs.size() < 2 || inputs.size() > 4)
      throw Error(object + " takes [query, value], [query, value, key] or [query, value, key, attention_mask], found " +
                  std::to_string(inputs.size()) + " inputs");
    s = {0, 1, inputs.size() > 2 ? 2 : -1, inputs.size() > 3 ? 3 : -1};
  }
  for (int slot : {s.query, s.value, s.key, s.mask})
    if (slot >= static_cast<int>(inputs.size()))
      throw Error(object + ": call argument refers to input " + std::to_string(slot) + " of " +
                  std::to_string(inputs.size()));
  if (s.query < 0 || s.value < 0) throw Error(object + ": the call has no query or no value");
  return s;
}

bool flag(const Json* kwargs, const char* key) {
  return kwargs && kwargs->contains(key) && (*kwargs)[key].is_boolean() && (*kwargs)[key].get<bool>();
}

}  // namespace

MultiHeadArguments resolve_arguments(const Tensors& inputs, const CallContext& ctx, const std::string& object) {
  const Slots s = slots_of(inputs, ctx.kwargs, object);
  auto mask_of = [&](int slot) { return slot >= 0 && slot < static_cast<int>(ctx.masks.size()) ? ctx.masks[slot] : Tensor(); };
  MultiHeadArguments a;
  a.query = inputs[s.query].as_float();
  a.value = inputs[s.value].as_float();
  a.key = s.key >= 0 ? inputs[s.key].as_float() : a.value;
  if (s.mask >= 0) a.attention_mask = inputs[s.mask];
  a.query_mask = mask_of(s.query);
  a.value_mask = mask_of(s.value);
  a.key_mask = s.key >= 0 ? mask_of(s.key) : Tensor();
  a.use_causal_mask = flag(ctx.kwargs, "use_causal_mask");
  a.return_attention_scores = flag(ctx.kwargs, "return_attention_scores");
  return a;
}

}  // namespace ksave::plugins::attention
