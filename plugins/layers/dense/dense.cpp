// Dense: outputs = activation(inputs · kernel + bias), on the last axis of inputs of any rank.
#include "../common/fused_product.hpp"
#include "ksave/config.hpp"
#include "ksave/kernel_bias_options.hpp"
#include "ksave/ops.hpp"
#include "ksave/conformance.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

class Dense : public Layer, public FoldableProductLayer {
 public:
  explicit Dense(const Json& config) : Layer(config, "Dense") {
    ConfigReader r(config, "layer '" + name() + "' (Dense)");
    set_supports_masking(true);  // Keras passes masks through this layer
    // Keras 1 spellings: output_dim, init, W_/b_ regularizers and constraints, bias.
    units_ = r.require<std::int64_t>("units", {"output_dim"});
    if (units_ <= 0) throw Error("layer '" + name() + "' (Dense): units must be positive, found " + std::to_string(units_));
    activation_ = get_activation(r.get<Json>("activation", nullptr));
    options_ = KernelBiasOptions::read(r);
  }

  std::string class_name() const override { return "Dense"; }
  // tf.keras's: at least 2 axes, the last one fixed.
  std::optional<InputSpec> input_spec(const Shape& input_shape) const override {
    return InputSpec{.min_ndim = 2, .axes = {{-1, input_shape.back()}}};
  }

  Json get_config() const override {
    Json c = Layer::get_config();
    c["units"] = units_;
    c["activation"] = serialize(activation_);
    options_.write(c);
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    if (shapes.size() != 1 || shapes[0].empty() || shapes[0].back() < 0)
      throw Error("layer '" + name() + "' (Dense) needs one input with a known last dimension, found " +
                  (shapes.empty() ? std::string("no input") : shape_to_string(shapes[0])));
    kernel_ = add_weight(options_.kernel_spec({shapes[0].back(), units_}));
    if (options_.use_bias) bias_ = add_weight(options_.bias_spec(units_));
  }

  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = inputs.at(0).as_float();
    Tensor y;
    const std::optional<fused::Epilogue> epilogue = fused::epilogue_for(activation_);
    if (epilogue) {
      y = fused::matmul(x, kernel_->value(), bias_, *epilogue);
    } else {
      y = ops::matmul(x, kernel_->value());
      if (options_.use_bias) y = ops::bias_add(y, bias_->value());
    }
    if (!epilogue || !epilogue->applies_activation) y = activation_(y);
    if (options_.activity_regularizer) add_loss(ops::div((*options_.activity_regularizer)(y), Tensor::scalar(static_cast<float>(y.dim(0)))));
    return {y};
  }

  // Inference folding (ksave/inference_folding.hpp): a BatchNormalization over the units folded
  // into the kernel and bias, the activation after it fused.
  std::optional<Tensor> call_folded(const Tensor& x, const FoldedChain& chain) override {
    if (!chain.zero_padding.empty() || !fused::can_fold(*this, x, true, activation_, options_.activity_regularizer))
      return std::nullopt;
    const FoldedWeights::Folded w = fused::folded(folded_, kernel_->value(), bias_, chain.affine);
    return fused::matmul(x, fused::view(w), fused::activation_attrs(chain.activation));
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    Shape out = shapes.at(0);
    out.back() = units_;
    return {out};
  }

 private:
  std::int64_t units_ = 0;
  Activation activation_;
  KernelBiasOptions options_;
  VariablePtr kernel_, bias_;
  FoldedWeights folded_;  // kernel and bias with a following BatchNormalization folded in
};

void register_objects(PluginRegistrar& r) {
  // Keras 3's Dense adds quantization_config and has no activity_regularizer key while it is null.
  r.layer<Dense>("Dense").keras3_form(Keras3Form()
                                          .keys({"name", "trainable", "dtype", "units", "activation", "use_bias",
                                                 "kernel_initializer", "bias_initializer", "kernel_regularizer",
                                                 "bias_regularizer", "kernel_constraint", "bias_constraint",
                                                 "quantization_config"})
                                          .default_value("quantization_config", nullptr)
                                          .dropped_when("activity_regularizer", nullptr));
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("dense", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("Dense", {{"units", 3}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
