// A plugin with a fault the conformance kit must find: Scale's get_config writes its factor
// doubled, so a layer rebuilt from its own config computes something else.
#include "ksave/config.hpp"
#include "ksave/ops.hpp"
#include "ksave/plugin.hpp"

namespace {

class Scale final : public ksave::Layer {
 public:
  explicit Scale(const ksave::Json& config) : Layer(config, "Scale") {
    factor_ = ksave::ConfigReader(config, "layer '" + name() + "' (Scale)").get<double>("factor", 2.0);
  }
  std::string class_name() const override { return "Scale"; }
  ksave::Json get_config() const override {
    ksave::Json config = Layer::get_config();
    config["factor"] = factor_ * 2;  // the fault
    return config;
  }

 protected:
  ksave::Tensors call(const ksave::Tensors& inputs, const ksave::CallContext&) override {
    return {ksave::ops::mul(inputs.at(0), factor_)};
  }
  std::vector<ksave::Shape> compute_output_shape(const std::vector<ksave::Shape>& input_shapes) override {
    return input_shapes;
  }

 private:
  double factor_ = 2.0;
};

void register_objects(ksave::PluginRegistrar& registrar) {
  registrar.set_package("Faulty");
  registrar.layer<Scale>("Scale");
}

}  // namespace

KSAVE_PLUGIN("faulty_layer", "1.0.0", register_objects)
