// The attention layers: Attention, AdditiveAttention, MultiHeadAttention.
#include "attention_base.hpp"

namespace ksave::plugins::attention {
namespace {

void register_objects(PluginRegistrar& r) {
  register_attention(r);
  register_additive_attention(r);
  register_multi_head_attention(r);
}

}  // namespace
}  // namespace ksave::plugins::attention

KSAVE_PLUGIN("attention", "0.1.0", ksave::plugins::attention::register_objects)
