// The EinsumDense sublayers of MultiHeadAttention, with Keras's names and weight shapes:
// "query", "key", "value" map (batch, steps, dim) to (batch, steps, heads, size) with a kernel
// (dim, heads, size) and a bias (heads, size) (equation "abc,cde->abde"); "attention_output"
// maps (batch, steps, heads, size) to (batch, steps, units) with a kernel (heads, size, units)
// and a bias (units,) ("abcd,cde->abe"). Computed as one matmul over the contracted axes.
#pragma once

#include "ksave/kernel_bias_options.hpp"

namespace ksave::plugins::attention {

class EinsumProjection : public Layer {
 public:
  // `contracted`: how many trailing input axes the kernel's leading axes consume (1 or 2);
  // `outputs`: the kernel's trailing axes, which replace them.
  EinsumProjection(const std::string& name, std::size_t contracted, Shape outputs, const KernelBiasOptions& options);
  std::string class_name() const override { return "EinsumDense"; }
  // Keras's config of the sublayer (it is never serialized on its own, but a summary may ask).
  Json get_config() const override;

 protected:
  void build_impl(const std::vector<Shape>& shapes) override;
  Tensors call(const Tensors& inputs, const CallContext& ctx) override;

 private:
  std::size_t contracted_;
  Shape outputs_;
  KernelBiasOptions options_;
  VariablePtr kernel_, bias_;
};

}  // namespace ksave::plugins::attention
