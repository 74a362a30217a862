// A third party's primitive op, declared once with its TensorFlow signature, and the layer that
// calls it: ScaledSoftsign(x) = scale · x / (1 + |x|). The SavedModel suite traces it into a
// SavedModel (a node of op type "ScaledSoftsign" with attribute `scale`) and runs it back from
// the serving signature, through the graph runtime and this op.
#include <cmath>

#include "ksave/config.hpp"
#include "ksave/layer.hpp"
#include "ksave/op.hpp"
#include "ksave/plugin.hpp"
#include "ksave/tf/op_signature.hpp"

namespace {

constexpr const char* kOp = "ScaledSoftsign";

ksave::Tensors scaled_softsign(std::span<const ksave::Tensor> inputs, const ksave::Attrs& attrs) {
  if (inputs.size() != 1) throw ksave::Error(std::string(kOp) + ": expects 1 input, found " + std::to_string(inputs.size()));
  const ksave::Tensor x = inputs[0].as_float();
  const auto scale = static_cast<float>(attrs.get<double>("scale"));
  ksave::Tensor y(ksave::DType::Float32, x.shape());
  const auto in = x.values<float>();
  auto out = y.values<float>();
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = scale * in[i] / (1.f + std::fabs(in[i]));
  return {y};
}

class ScaledSoftsign : public ksave::Layer {
 public:
  explicit ScaledSoftsign(const ksave::Json& config) : Layer(config, "ScaledSoftsign") {
    scale_ = ksave::ConfigReader(config, "layer '" + name() + "' (ScaledSoftsign)").get<double>("scale", 1.0);
  }
  std::string class_name() const override { return "ScaledSoftsign"; }
  ksave::Json get_config() const override {
    ksave::Json config = Layer::get_config();
    config["scale"] = scale_;
    return config;
  }

 protected:
  ksave::Tensors call(const ksave::Tensors& inputs, const ksave::CallContext&) override {
    return ksave::run_op(kOp, inputs, ksave::Attrs{{"scale", scale_}});
  }
  std::vector<ksave::Shape> compute_output_shape(const std::vector<ksave::Shape>& input_shapes) override { return input_shapes; }

 private:
  double scale_ = 1.0;
};

void register_objects(ksave::PluginRegistrar& registrar) {
  // The op first: ops are found by their name alone, not under a package.
  ksave::tf::OpSignature signature;
  signature.tf_op = kOp;
  signature.output_arg = "activations";
  signature.float_inputs = true;
  signature.attrs = {{"scale"}};
  ksave::tf::register_traceable_op(registrar, ksave::OpDef{kOp, kOp, scaled_softsign, {}}, std::move(signature));
  registrar.set_package("TracedOps");
  registrar.layer<ScaledSoftsign>("ScaledSoftsign");
}

}  // namespace

KSAVE_PLUGIN("test_traced_op", "1.0.0", register_objects)
