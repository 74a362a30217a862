// The attention layers: Attention, AdditiveAttention, MultiHeadAttention, GroupedQueryAttention,
// and EinsumDense (their projections, a Keras layer of its own too).
#include "attention_base.hpp"
#include "ksave/conformance.hpp"

namespace ksave::plugins::attention {
namespace {

void register_objects(PluginRegistrar& r) {
  register_attention(r);
  register_additive_attention(r);
  register_multi_head_attention(r);
  register_group_query_attention(r);
  register_einsum_dense(r);
}

}  // namespace
}  // namespace ksave::plugins::attention

KSAVE_PLUGIN("attention", "0.1.0", ksave::plugins::attention::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("MultiHeadAttention", {{"num_heads", 2}, {"key_dim", 3}}, {{.shape = {3, 4}}, {.shape = {3, 4}}})
      .layer("GroupedQueryAttention", {{"head_dim", 2}, {"num_query_heads", 4}, {"num_key_value_heads", 2}},
             {{.shape = {3, 4}}, {.shape = {3, 4}}})
      .layer("EinsumDense", {{"equation", "abc,cde->abde"}, {"output_shape", {nullptr, 2, 5}}, {"bias_axes", "de"}},
             {{.shape = {3, 4}}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
