// Embedding: rows of `embeddings` picked by integer ids (ids of any integer dtype, or float ids
// holding whole numbers, as Keras casts them); with mask_zero, id 0 masks its step for the
// layers downstream (RNNs) through compute_mask. Keras 3's ReversibleEmbedding extends it
// (reversible_embedding.cpp).
#pragma once

#include "ksave/config.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins::embedding {

class Embedding : public Layer {
 public:
  explicit Embedding(const Json& config, const char* class_name = "Embedding");

  std::string class_name() const override { return "Embedding"; }
  Json get_config() const override;
  Tensors compute_mask(const Tensors& inputs, const Tensors& masks, std::size_t output_count) const override;

 protected:
  void build_impl(const std::vector<Shape>& shapes) override;
  Tensors call(const Tensors& inputs, const CallContext& ctx) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override;
  DType output_dtype(const std::vector<DType>&) const override { return DType::Float32; }
  // "layer 'tok' (Embedding)", for errors.
  std::string describe() const { return "layer '" + name() + "' (" + class_name() + ")"; }

  std::int64_t input_dim_ = 0, output_dim_ = 0;
  InitializerPtr embeddings_initializer_;
  RegularizerPtr embeddings_regularizer_, activity_regularizer_;
  ConstraintPtr embeddings_constraint_;
  bool mask_zero_ = false;
  Json input_length_;
  VariablePtr embeddings_;
};

void register_reversible_embedding(PluginRegistrar& r);

}  // namespace ksave::plugins::embedding
