// The layers keras.applications defines for its own backbones and writes into their files under
// their bare class names (module keras.src.applications.convnext / tf_keras.src.applications.
// convnext): ConvNeXt's LayerScale, y = x * gamma with gamma one value per channel, and its
// StochasticDepth, identity at inference and, in training, the whole residual branch of a sample
// kept with probability 1 - drop_path_rate and scaled by 1 / (1 - drop_path_rate).
#include <cmath>
#include <mutex>
#include <random>

#include "ksave/config.hpp"
#include "ksave/ops.hpp"
#include "ksave/conformance.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

class LayerScale : public Layer {
 public:
  explicit LayerScale(const Json& config) : Layer(config, "LayerScale") {
    ConfigReader r(config, describe());
    init_values_ = r.require<double>("init_values");
    projection_dim_ = r.require<std::int64_t>("projection_dim");
    if (projection_dim_ <= 0)
      throw Error(describe() + ": projection_dim must be positive, found " + std::to_string(projection_dim_));
  }

  std::string class_name() const override { return "LayerScale"; }

  Json get_config() const override {
    Json c = Layer::get_config();
    c["init_values"] = init_values_;
    c["projection_dim"] = projection_dim_;
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    const Shape& input = shapes.at(0);
    if (input.empty() || (input.back() >= 0 && input.back() != projection_dim_))
      throw Error(describe() + ": expected an input whose last axis is projection_dim " + std::to_string(projection_dim_) +
                  ", found " + shape_to_string(input));
    gamma_ = add_weight({"gamma", {projection_dim_}, DType::Float32,
                         get_initializer(Json{{"class_name", "Constant"}, {"config", {{"value", init_values_}}}}), nullptr,
                         nullptr, true});
  }

  Tensors call(const Tensors& inputs, const CallContext&) override {
    return {ops::mul(inputs.at(0).as_float(), gamma_->value())};
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return {shapes.at(0)}; }

 private:
  std::string describe() const { return "layer '" + name() + "' (LayerScale)"; }

  double init_values_ = 0.0;
  std::int64_t projection_dim_ = 0;
  VariablePtr gamma_;
};

class StochasticDepth : public Layer {
 public:
  explicit StochasticDepth(const Json& config) : Layer(config, "StochasticDepth"), generator_(std::random_device{}()) {
    ConfigReader r(config, describe());
    drop_path_rate_ = r.require<double>("drop_path_rate");
    if (drop_path_rate_ < 0.0 || drop_path_rate_ >= 1.0)
      throw Error(describe() + ": drop_path_rate must be in [0, 1), found " + std::to_string(drop_path_rate_));
  }

  std::string class_name() const override { return "StochasticDepth"; }

  Json get_config() const override {
    Json c = Layer::get_config();
    c["drop_path_rate"] = drop_path_rate_;
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext& ctx) override {
    const Tensor x = inputs.at(0).as_float();
    if (!ctx.training || drop_path_rate_ == 0.0) return {x};
    // floor(keep_prob + uniform[0, 1)) per sample, as Keras: 1 with probability keep_prob.
    const double keep_prob = 1.0 - drop_path_rate_;
    Shape mask_shape(x.shape().size(), 1);
    mask_shape[0] = x.shape()[0];
    Tensor mask = Tensor::zeros(DType::Float32, mask_shape);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::uniform_real_distribution<double> uniform(0.0, 1.0);
      for (float& m : mask.values<float>()) m = static_cast<float>(std::floor(keep_prob + uniform(generator_)));
    }
    return {ops::mul(ops::div(x, Tensor::scalar<float>(static_cast<float>(keep_prob))), mask)};
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return {shapes.at(0)}; }

 private:
  std::string describe() const { return "layer '" + name() + "' (StochasticDepth)"; }

  double drop_path_rate_ = 0.0;
  std::mt19937 generator_;
  std::mutex mutex_;  // training draws; predict never does
};

void register_objects(PluginRegistrar& r) {
  // Keras 3 defines both inside its ConvNeXt application, not under keras.layers.
  const char* module = "keras.src.applications.convnext";
  r.layer<LayerScale>("LayerScale").keras3_form(Keras3Form().module(module).registered_name("LayerScale"));
  r.layer<StochasticDepth>("StochasticDepth").keras3_form(Keras3Form().module(module).registered_name("StochasticDepth"));
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("applications_layers", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("LayerScale", {{"init_values", 0.5}, {"projection_dim", 4}})
      .layer("StochasticDepth", {{"drop_path_rate", 0.1}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
