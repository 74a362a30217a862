// The advanced activation layers: ReLU (max_value, negative_slope, threshold), LeakyReLU, PReLU
// (a learned slope per position, shared over shared_axes), ELU, Softmax (axis) and
// ThresholdedReLU, with tf.keras 2.x's configs and formulas.
#include <initializer_list>
#include <optional>
#include <string_view>

#include "ksave/config.hpp"
#include "ksave/inference_folding.hpp"
#include "ksave/ops.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

std::string object_name(const Layer& l, const char* cls) {
  return "layer '" + l.name() + "' (" + cls + ")";
}

// Layers whose output has the input's shape.
class ShapePreserving : public Layer {
 public:
  using Layer::Layer;

 protected:
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return shapes; }
};

// keras.backend.relu: thresholded at `threshold`, clipped at max_value, with slope
// negative_slope below the threshold.
class ReLU : public ShapePreserving, public FusableActivationLayer {
 public:
  explicit ReLU(const Json& config) : ShapePreserving(config, "ReLU") {
    ConfigReader r(config, object_name(*this, "ReLU"));
    if (const Json* m = r.find("max_value"); m && !m->is_null()) max_value_ = r.get<double>("max_value", 0.0);
    negative_slope_ = r.get<double>("negative_slope", 0.0);
    threshold_ = r.get<double>("threshold", 0.0);
    if (max_value_ && *max_value_ < 0)
      throw Error(r.object() + ": max_value must be >= 0, found " + std::to_string(*max_value_));
    if (negative_slope_ < 0)
      throw Error(r.object() + ": negative_slope must be >= 0, found " + std::to_string(negative_slope_));
  }
  std::string class_name() const override { return "ReLU"; }
  Json get_config() const override {
    Json c = Layer::get_config();
    c["max_value"] = max_value_ ? Json(*max_value_) : Json(nullptr);
    c["negative_slope"] = negative_slope_;
    c["threshold"] = threshold_;
    return c;
  }
  // Plain ReLU and ReLU(max_value=6) run inside a product before them (inference_folding.hpp).
  const char* fused_activation() const override {
    if (negative_slope_ != 0.0 || threshold_ != 0.0) return nullptr;
    if (!max_value_) return "relu";
    return *max_value_ == 6.0 ? "relu6" : nullptr;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = inputs.at(0).as_float();
    Tensor y = threshold_ != 0.0 ? ops::mul(x, ops::greater(x, ops::constant(threshold_))) : ops::relu(x);
    if (max_value_) y = ops::clip(y, 0.0, *max_value_);
    if (negative_slope_ != 0.0) {
      const Tensor below = ops::relu(ops::add(ops::neg(x), threshold_));
      y = ops::sub(y, ops::mul(below, negative_slope_));
    }
    return {y};
  }

 private:
  std::optional<double> max_value_;
  double negative_slope_ = 0.0, threshold_ = 0.0;
};

// Layers with one float parameter under one config key (LeakyReLU alpha, ELU alpha,
// ThresholdedReLU theta): reading, defaults and get_config in one place.
class ScalarParameterLayer : public ShapePreserving {
 public:
  ScalarParameterLayer(const Json& config, const char* cls, const char* key, double fallback,
                       std::initializer_list<std::string_view> aliases = {})
      : ShapePreserving(config, cls), key_(key) {
    value_ = ConfigReader(config, object_name(*this, cls)).get<double>(key, fallback, aliases);
  }
  Json get_config() const override {
    Json c = Layer::get_config();
    c[key_] = value_;
    return c;
  }

 protected:
  double value() const { return value_; }

 private:
  const char* key_;
  double value_ = 0.0;
};

class LeakyReLU : public ScalarParameterLayer {
 public:
  // Keras 2 default 0.3; Keras 3 calls it negative_slope.
  explicit LeakyReLU(const Json& config) : ScalarParameterLayer(config, "LeakyReLU", "alpha", 0.3, {"negative_slope"}) {}
  std::string class_name() const override { return "LeakyReLU"; }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    return {ops::leaky_relu(inputs.at(0).as_float(), value())};
  }
};

class ELU : public ScalarParameterLayer {
 public:
  explicit ELU(const Json& config) : ScalarParameterLayer(config, "ELU", "alpha", 1.0) {}
  std::string class_name() const override { return "ELU"; }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = inputs.at(0).as_float();
    if (value() == 1.0) return {ops::elu(x)};
    // x for x > 0, alpha * (exp(x) - 1) otherwise; elu(x) is exp(x) - 1 on the negative side.
    return {ops::select(ops::greater(x, ops::constant(0.0)), x, ops::mul(ops::elu(x), value()))};
  }
};

class ThresholdedReLU : public ScalarParameterLayer {
 public:
  explicit ThresholdedReLU(const Json& config) : ScalarParameterLayer(config, "ThresholdedReLU", "theta", 1.0) {}
  std::string class_name() const override { return "ThresholdedReLU"; }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = inputs.at(0).as_float();
    return {ops::mul(x, ops::greater(x, ops::constant(value())))};
  }
};

class Softmax : public ShapePreserving {
 public:
  explicit Softmax(const Json& config) : ShapePreserving(config, "Softmax") {
    axis_ = ConfigReader(config, object_name(*this, "Softmax")).get<std::int64_t>("axis", -1);
  }
  std::string class_name() const override { return "Softmax"; }
  Json get_config() const override {
    Json c = Layer::get_config();
    c["axis"] = axis_;
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    return {ops::softmax(inputs.at(0).as_float(), axis_)};
  }

 private:
  std::int64_t axis_ = -1;
};

// y = relu(x) - alpha * relu(-x), alpha of the input's shape without the batch axis, 1 along
// shared_axes (1-based axes of the full input, as Keras counts them).
class PReLU : public ShapePreserving {
 public:
  explicit PReLU(const Json& config) : ShapePreserving(config, "PReLU") {
    ConfigReader r(config, object_name(*this, "PReLU"));
    alpha_initializer_ = get_initializer(r.get<Json>("alpha_initializer", "zeros", {"init"}));
    alpha_regularizer_ = get_regularizer(r.get<Json>("alpha_regularizer", nullptr));
    alpha_constraint_ = get_constraint(r.get<Json>("alpha_constraint", nullptr));
    if (const Json* shared = r.find("shared_axes"); shared && !shared->is_null())
      shared_axes_ = r.int_list("shared_axes", {});
  }
  std::string class_name() const override { return "PReLU"; }
  Json get_config() const override {
    Json c = Layer::get_config();
    c["alpha_initializer"] = serialize(alpha_initializer_);
    c["alpha_regularizer"] = serialize(alpha_regularizer_);
    c["alpha_constraint"] = serialize(alpha_constraint_);
    c["shared_axes"] = shared_axes_ ? Json(*shared_axes_) : Json(nullptr);
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    const Shape& in = shapes.at(0);
    Shape alpha_shape(in.begin() + 1, in.end());
    if (shared_axes_)
      for (std::int64_t a : *shared_axes_) {
        if (a < 1 || a >= static_cast<std::int64_t>(in.size()))
          throw Error(object_name(*this, "PReLU") + ": shared axis " + std::to_string(a) +
                      " is outside the input " + shape_to_string(in));
        alpha_shape[static_cast<std::size_t>(a - 1)] = 1;
      }
    for (Dim d : alpha_shape)
      if (d < 0)
        throw Error(object_name(*this, "PReLU") + ": input " + shape_to_string(in) +
                    " has an unknown axis that is not in shared_axes");
    alpha_ = add_weight({"alpha", alpha_shape, DType::Float32, alpha_initializer_, alpha_regularizer_,
                         alpha_constraint_, true});
  }
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = inputs.at(0).as_float();
    return {ops::sub(ops::relu(x), ops::mul(alpha_->value(), ops::relu(ops::neg(x))))};
  }

 private:
  InitializerPtr alpha_initializer_;
  RegularizerPtr alpha_regularizer_;
  ConstraintPtr alpha_constraint_;
  std::optional<std::vector<std::int64_t>> shared_axes_;
  VariablePtr alpha_;
};

void register_objects(PluginRegistrar& r) {
  // Keras 3's forms: ReLU, LeakyReLU, ELU and Softmax have no build() of their own (PReLU's makes
  // alpha); LeakyReLU's alpha is negative_slope.
  const Keras3Form no_build = Keras3Form().no_build_config();
  r.layer<ReLU>("ReLU").keras3_form(no_build);
  r.layer<LeakyReLU>("LeakyReLU")
      .keras3_form(Keras3Form(no_build)
                       .keys({"name", "trainable", "dtype", "negative_slope"})
                       .renamed("alpha", "negative_slope"));
  r.layer<PReLU>("PReLU");
  r.layer<ELU>("ELU").keras3_form(Keras3Form(no_build).keys({"name", "alpha", "trainable", "dtype"}));
  r.layer<ThresholdedReLU>("ThresholdedReLU");
  r.layer<Softmax>("Softmax").keras3_form(no_build);
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("activation_layers", "0.1.0", ksave::plugins::register_objects)
