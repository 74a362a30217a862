// The shared part of Keras's Attention and AdditiveAttention (tf.keras's BaseDenseAttention):
// inputs [query, value] or [query, value, key]; scores from the subclass, hidden where the value
// mask is false (and at future steps when `causal`, the Keras < 2.11 config key), softmax over
// the keys, output = softmax · value, the query's masked steps zeroed. Works on rank-3 (batch,
// steps, dim) and rank-2 (batch, dim) inputs; for rank 2 the keys are the other samples of the
// batch, so outputs depend on the batch (as in tf.keras).
#pragma once

#include <optional>
#include <string>

#include "ksave/config.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins::attention {

class AttentionBase : public Layer {
 public:
  AttentionBase(const Json& config, const char* class_name);
  std::string class_name() const override { return class_name_; }
  Json get_config() const override;

 protected:
  // Scores (…, Tq, Tv) of query (…, Tq, dim) against key (…, Tv, dim).
  virtual Tensor scores(const Tensor& query, const Tensor& key) const = 0;
  Tensors call(const Tensors& inputs, const CallContext& ctx) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override;
  void check_input_count(std::size_t count) const;
  // "layer 'attention' (Attention)", for errors.
  std::string describe() const { return "layer '" + name() + "' (" + class_name_ + ")"; }

 private:
  // 1 where a score must be hidden (masked value steps, future steps when causal), else 0;
  // undefined when nothing is hidden.
  Tensor padding(const Tensor& scores, const CallContext& ctx) const;

  std::string class_name_;
  std::optional<bool> causal_;
  double dropout_ = 0.0;
};

void register_attention(PluginRegistrar& r);
void register_additive_attention(PluginRegistrar& r);
void register_multi_head_attention(PluginRegistrar& r);
void register_group_query_attention(PluginRegistrar& r);
void register_einsum_dense(PluginRegistrar& r);

}  // namespace ksave::plugins::attention
