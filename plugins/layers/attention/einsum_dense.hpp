// EinsumDense (tf-keras 2.21 and Keras 3): outputs = activation(einsum(equation, inputs, kernel)
// + bias), the kernel's and the bias's shapes read from the equation, output_shape and bias_axes
// as Keras reads them (einsum_dense_shapes.hpp). The product is ksave's ops
// (../common/einsum.hpp), so the tape gives its gradients.
// MultiHeadAttention's query, key, value and attention_output sublayers are EinsumDense layers
// too, made by projection() with Keras's equations, names and weight shapes.
#pragma once

#include <memory>

#include "einsum_dense_shapes.hpp"
#include "ksave/kernel_bias_options.hpp"

namespace ksave::plugins::attention {

class EinsumDense : public Layer {
 public:
  explicit EinsumDense(const Json& config);
  // MultiHeadAttention's sublayer `name`: the last `contracted` input axes (1 or 2) replaced by
  // `outputs` ("abc,cde->abde", bias "de", for query/key/value; "abcd,cde->abe", bias "e", for
  // attention_output); the bias as options.use_bias says; `activation` (GroupQueryAttention's
  // gate is "sigmoid") after it.
  static std::shared_ptr<EinsumDense> projection(const std::string& name, std::size_t contracted, const Shape& outputs,
                                                 const KernelBiasOptions& options, const Json& activation = nullptr);

  std::string class_name() const override { return "EinsumDense"; }
  Json get_config() const override;

 protected:
  void build_impl(const std::vector<Shape>& shapes) override;
  Tensors call(const Tensors& inputs, const CallContext& ctx) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override;

 private:
  std::string describe() const { return "layer '" + name() + "' (EinsumDense)"; }
  EinsumDenseShapes shapes_for(const Shape& input) const;

  std::string equation_, bias_axes_;  // bias_axes_: empty for None
  Shape partial_output_;              // the config's output_shape, kUnknown for None
  Activation activation_;
  KernelBiasOptions options_;
  einsum::Labels labels_;  // the equation as built, the ellipsis spelled out
  VariablePtr kernel_, bias_;
};

}  // namespace ksave::plugins::attention
