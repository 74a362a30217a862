// The custom objects of the interop suite, registered as Keras's
// @register_keras_serializable(package="Interop") registers their Python twins
// (tests/interop/custom_objects.py): configs name them "Interop>ScaledDense" and
// "Interop>scaled_tanh". Built as a third party builds a plugin, and loaded only by the interop
// jobs (KSAVE_PLUGIN_PATH).
//   ScaledDense(units, scale): y = scale * (x · kernel) + offset; kernel trainable
//   (glorot_uniform), offset non-trainable (zeros), as the twin's add_weight calls make them.
//   scaled_tanh(x) = 2 * tanh(x).
#include "ksave/config.hpp"
#include "ksave/layer.hpp"
#include "ksave/ops.hpp"
#include "ksave/plugin.hpp"

namespace interop {

class ScaledDense : public ksave::Layer {
 public:
  explicit ScaledDense(const ksave::Json& config) : Layer(config, "ScaledDense") {
    ksave::ConfigReader reader(config, "layer '" + name() + "' (ScaledDense)");
    units_ = reader.get<std::int64_t>("units", 4);
    scale_ = reader.get<double>("scale", 1.0);
    if (units_ <= 0) throw ksave::Error("layer '" + name() + "' (ScaledDense): units must be positive, found " + std::to_string(units_));
  }

  std::string class_name() const override { return "ScaledDense"; }

  ksave::Json get_config() const override {
    ksave::Json config = Layer::get_config();
    config["units"] = units_;
    config["scale"] = scale_;
    return config;
  }

 protected:
  void build_impl(const std::vector<ksave::Shape>& input_shapes) override {
    ksave::WeightSpec kernel;
    kernel.name = "kernel";
    kernel.shape = {input_shapes.at(0).back(), units_};
    kernel.initializer = ksave::get_initializer("glorot_uniform");
    kernel_ = add_weight(kernel);
    ksave::WeightSpec offset;
    offset.name = "offset";
    offset.shape = {units_};
    offset.trainable = false;
    offset_ = add_weight(offset);
  }

  ksave::Tensors call(const ksave::Tensors& inputs, const ksave::CallContext&) override {
    return {ksave::ops::add(ksave::ops::mul(ksave::ops::matmul(inputs.at(0), kernel_->value()), scale_), offset_->value())};
  }

  std::vector<ksave::Shape> compute_output_shape(const std::vector<ksave::Shape>& input_shapes) override {
    ksave::Shape out = input_shapes.at(0);
    out.back() = units_;
    return {out};
  }

 private:
  std::int64_t units_ = 4;
  double scale_ = 1.0;
  ksave::VariablePtr kernel_, offset_;
};

ksave::Tensor scaled_tanh(const ksave::Tensor& x) { return ksave::ops::mul(ksave::ops::tanh(x), 2.0); }

void register_objects(ksave::PluginRegistrar& registrar) {
  registrar.set_package("Interop");
  // Keras 3 writes the twin under the Python module that defines it (tests/interop/custom_objects.py).
  registrar.layer<ScaledDense>("ScaledDense").keras3_form(ksave::Keras3Form().module("custom_objects"));
  registrar.activation("scaled_tanh", scaled_tanh);
}

}  // namespace interop

KSAVE_PLUGIN("interop_custom", "1.0.0", interop::register_objects)
