// A third-party layer with everything a built-in has: ScaledDense(units, activation, scale,
// momentum) computes activation(x · kernel) · scale with a trainable kernel, and keeps a
// non-trainable running mean of its outputs (`output_mean`) that `call` updates while training,
// as BatchNormalization does with its moving statistics. `activation` is a config key like
// Dense's: any activation name or config, this plugin's "Custom>custom_activation" included.
#pragma once

#include <string>
#include <vector>

#include "ksave/config.hpp"
#include "ksave/layer.hpp"
#include "ksave/objects.hpp"
#include "ksave/ops.hpp"

namespace guide {

class ScaledDense : public ksave::Layer {
 public:
  explicit ScaledDense(const ksave::Json& config) : Layer(config, "ScaledDense") {
    ksave::ConfigReader r(config, "layer '" + name() + "' (ScaledDense)");
    // Any activation Dense takes: a name, a config, or this plugin's "Custom>custom_activation".
    activation_ = ksave::get_activation(r.get<ksave::Json>("activation", nullptr));
    units_ = r.get<std::int64_t>("units", 8);
    scale_ = r.get<double>("scale", 1.0);
    // Keras 3 archives spell it mean_momentum (the plugin's Keras 3 form, custom_layer.cpp).
    momentum_ = r.get<double>("momentum", 0.9, {"mean_momentum"});
  }

  std::string class_name() const override { return "ScaledDense"; }

  ksave::Json get_config() const override {
    ksave::Json config = Layer::get_config();
    config["units"] = units_;
    config["activation"] = ksave::serialize(activation_);
    config["scale"] = scale_;
    config["momentum"] = momentum_;
    return config;
  }

  const ksave::VariablePtr& output_mean() const { return output_mean_; }

 protected:
  void build_impl(const std::vector<ksave::Shape>& input_shapes) override {
    // WeightSpec: name, shape, dtype, initializer, regularizer, constraint, trainable.
    kernel_ = add_weight({"kernel", {input_shapes.at(0).back(), units_}, ksave::DType::Float32,
                          ksave::get_initializer("glorot_uniform"), nullptr, nullptr, true});
    // No initializer: zeros. Not trainable: the optimizer leaves it alone, `call` moves it.
    output_mean_ = add_weight({"output_mean", {units_}, ksave::DType::Float32, nullptr, nullptr, nullptr, false});
  }

  ksave::Tensors call(const ksave::Tensors& inputs, const ksave::CallContext& ctx) override {
    const ksave::Tensor y = ksave::ops::mul(activation_(ksave::ops::matmul(inputs.at(0), kernel_->value())), scale_);
    if (ctx.training) update_output_mean(y);
    return {y};
  }

  std::vector<ksave::Shape> compute_output_shape(const std::vector<ksave::Shape>& input_shapes) override {
    ksave::Shape out = input_shapes.at(0);
    out.back() = units_;
    return {out};
  }

 private:
  // output_mean ← momentum · output_mean + (1 − momentum) · (the batch's mean output), from
  // plain values: state, not part of what training differentiates.
  void update_output_mean(const ksave::Tensor& y) {
    std::vector<std::int64_t> batch_axes;
    for (int axis = 0; axis + 1 < y.rank(); ++axis) batch_axes.push_back(axis);
    const ksave::Tensor batch_mean = ksave::ops::mean(y, batch_axes).cast(ksave::DType::Float32);
    ksave::Tensor next = output_mean_->value().clone();
    float* mean = next.data<float>();
    const float* batch = batch_mean.data<float>();
    for (std::int64_t i = 0; i < next.size(); ++i)
      mean[i] = static_cast<float>(mean[i] * momentum_ + batch[i] * (1.0 - momentum_));
    output_mean_->assign(next);
  }

  std::int64_t units_ = 8;
  ksave::Activation activation_;
  double scale_ = 1.0;
  double momentum_ = 0.9;
  ksave::VariablePtr kernel_, output_mean_;
};

}  // namespace guide
