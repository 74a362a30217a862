// The guide's custom objects: CustomLayer(units), y = x · w + b with both weights drawn from
// random_normal, and custom_activation(x) = tanh(x) ** 2. Written once here and used both by
// the plugin of this folder (custom_layer.cpp) and by the in-process examples of examples/.
#pragma once

#include <string>
#include <vector>

#include "ksave/config.hpp"
#include "ksave/layer.hpp"
#include "ksave/ops.hpp"

namespace guide {

class CustomLayer : public ksave::Layer {
 public:
  explicit CustomLayer(const ksave::Json& config) : Layer(config, "CustomLayer") {
    units_ = ksave::ConfigReader(config, "layer '" + name() + "' (CustomLayer)").get<std::int64_t>("units", 32);
  }

  std::string class_name() const override { return "CustomLayer"; }

  ksave::Json get_config() const override {
    ksave::Json config = Layer::get_config();
    config["units"] = units_;
    return config;
  }

 protected:
  void build_impl(const std::vector<ksave::Shape>& input_shapes) override {
    w_ = add_weight(random_normal_weight("w", {input_shapes.at(0).back(), units_}));
    b_ = add_weight(random_normal_weight("b", {units_}));
  }

  ksave::Tensors call(const ksave::Tensors& inputs, const ksave::CallContext&) override {
    return {ksave::ops::add(ksave::ops::matmul(inputs.at(0), w_->value()), b_->value())};
  }

  std::vector<ksave::Shape> compute_output_shape(const std::vector<ksave::Shape>& input_shapes) override {
    ksave::Shape out = input_shapes.at(0);
    out.back() = units_;
    return {out};
  }

 private:
  // add_weight(shape=..., initializer="random_normal", trainable=True)
  static ksave::WeightSpec random_normal_weight(const std::string& name, ksave::Shape shape) {
    ksave::WeightSpec spec;
    spec.name = name;
    spec.shape = std::move(shape);
    spec.initializer = ksave::get_initializer("random_normal");
    return spec;
  }

  std::int64_t units_ = 32;
  ksave::VariablePtr w_, b_;
};

inline ksave::Tensor custom_activation(const ksave::Tensor& x) { return ksave::ops::square(ksave::ops::tanh(x)); }

}  // namespace guide
