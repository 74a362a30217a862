// Dense: outputs = activation(inputs · kernel + bias), on the last axis of inputs of any rank.
#include "ksave/config.hpp"
#include "ksave/ops.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

class Dense : public Layer {
 public:
  explicit Dense(const Json& config) : Layer(config, "Dense") {
    ConfigReader r(config, "layer '" + name() + "' (Dense)");
    set_supports_masking(true);  // Keras passes masks through this layer
    // Keras 1 spellings: output_dim, init, W_/b_ regularizers and constraints, bias.
    units_ = r.require<std::int64_t>("units", {"output_dim"});
    if (units_ <= 0) throw Error("layer '" + name() + "' (Dense): units must be positive, found " + std::to_string(units_));
    activation_ = get_activation(r.get<Json>("activation", nullptr));
    use_bias_ = r.get<bool>("use_bias", true, {"bias"});
    kernel_initializer_ = get_initializer(r.get<Json>("kernel_initializer", "glorot_uniform", {"init"}));
    bias_initializer_ = get_initializer(r.get<Json>("bias_initializer", "zeros"));
    kernel_regularizer_ = get_regularizer(r.get<Json>("kernel_regularizer", nullptr, {"W_regularizer"}));
    bias_regularizer_ = get_regularizer(r.get<Json>("bias_regularizer", nullptr, {"b_regularizer"}));
    activity_regularizer_ = get_regularizer(r.get<Json>("activity_regularizer", nullptr));
    kernel_constraint_ = get_constraint(r.get<Json>("kernel_constraint", nullptr, {"W_constraint"}));
    bias_constraint_ = get_constraint(r.get<Json>("bias_constraint", nullptr, {"b_constraint"}));
  }

  std::string class_name() const override { return "Dense"; }

  Json get_config() const override {
    Json c = Layer::get_config();
    c["units"] = units_;
    c["activation"] = serialize(activation_);
    c["use_bias"] = use_bias_;
    c["kernel_initializer"] = serialize(kernel_initializer_);
    c["bias_initializer"] = serialize(bias_initializer_);
    c["kernel_regularizer"] = serialize(kernel_regularizer_);
    c["bias_regularizer"] = serialize(bias_regularizer_);
    c["activity_regularizer"] = serialize(activity_regularizer_);
    c["kernel_constraint"] = serialize(kernel_constraint_);
    c["bias_constraint"] = serialize(bias_constraint_);
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    if (shapes.size() != 1 || shapes[0].empty() || shapes[0].back() < 0)
      throw Error("layer '" + name() + "' (Dense) needs one input with a known last dimension, found " +
                  (shapes.empty() ? std::string("no input") : shape_to_string(shapes[0])));
    kernel_ = add_weight({"kernel", {shapes[0].back(), units_}, DType::Float32, kernel_initializer_,
                          kernel_regularizer_, kernel_constraint_, true});
    if (use_bias_)
      bias_ = add_weight({"bias", {units_}, DType::Float32, bias_initializer_, bias_regularizer_, bias_constraint_, true});
  }

  Tensors call(const Tensors& inputs, const CallContext&) override {
    Tensor y = ops::matmul(inputs.at(0).as_float(), kernel_->value());
    if (use_bias_) y = ops::bias_add(y, bias_->value());
    y = activation_(y);
    if (activity_regularizer_) add_loss(ops::div(( *activity_regularizer_)(y), Tensor::scalar(static_cast<float>(y.dim(0)))));
    return {y};
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    Shape out = shapes.at(0);
    out.back() = units_;
    return {out};
  }

 private:
  std::int64_t units_ = 0;
  Activation activation_;
  bool use_bias_ = true;
  InitializerPtr kernel_initializer_, bias_initializer_;
  RegularizerPtr kernel_regularizer_, bias_regularizer_, activity_regularizer_;
  ConstraintPtr kernel_constraint_, bias_constraint_;
  VariablePtr kernel_, bias_;
};

void register_objects(PluginRegistrar& r) { r.layer<Dense>("Dense"); }

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("dense", "0.1.0", ksave::plugins::register_objects)
