// Dropout: identity at inference; in training, zeroes a fraction `rate` of the inputs and
// scales the rest by 1/(1-rate). The mask is a constant for autodiff, so gradients flow
// through the kept units only, as in Keras.
#include <mutex>
#include <random>

#include "ksave/config.hpp"
#include "ksave/ops.hpp"
#include "ksave/conformance.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

class Dropout : public Layer {
 public:
  explicit Dropout(const Json& config) : Layer(config, "Dropout") {
    ConfigReader r(config, "layer '" + name() + "' (Dropout)");
    set_supports_masking(true);  // Keras passes masks through this layer
    rate_ = r.require<double>("rate", {"p"});
    if (rate_ < 0 || rate_ >= 1)
      throw Error("layer '" + name() + "' (Dropout): rate must be in [0, 1), found " + std::to_string(rate_));
    noise_shape_ = r.get<Json>("noise_shape", nullptr);
    seed_ = r.get<Json>("seed", nullptr);
    generator_.seed(seed_.is_number_integer() ? seed_.get<std::uint64_t>() : std::random_device{}());
  }

  std::string class_name() const override { return "Dropout"; }

  Json get_config() const override {
    Json c = Layer::get_config();
    c["rate"] = rate_;
    c["noise_shape"] = noise_shape_;
    c["seed"] = seed_;
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext& ctx) override {
    const Tensor x = inputs.at(0).as_float();
    if (!ctx.training || rate_ == 0) return {x};
    Shape mask_shape = x.shape();
    if (noise_shape_.is_array() && noise_shape_.size() == mask_shape.size())
      for (std::size_t i = 0; i < mask_shape.size(); ++i)
        if (!noise_shape_[i].is_null()) mask_shape[i] = noise_shape_[i].get<Dim>();
    Tensor mask(DType::Float32, mask_shape);
    float keep_scale = static_cast<float>(1.0 / (1.0 - rate_));
    {
      std::lock_guard lock(mutex_);
      std::uniform_real_distribution<float> uniform(0.f, 1.f);
      for (float& m : mask.values<float>()) m = uniform(generator_) >= rate_ ? keep_scale : 0.f;
    }
    return {ops::mul(x, mask)};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return shapes; }

 private:
  double rate_ = 0;
  Json noise_shape_;
  Json seed_;
  std::mutex mutex_;  // predict from several threads never draws; training may
  std::mt19937_64 generator_;
};

void register_objects(PluginRegistrar& r) {
  // Keras 3's Dropout has no build() of its own and records the training=False its call defaults to.
  r.layer<Dropout>("Dropout").keras3_form(Keras3Form()
                                              .keys({"name", "trainable", "dtype", "rate", "seed", "noise_shape"})
                                              .default_value("noise_shape", nullptr)
                                              .no_build_config()
                                              .call_kwarg("training", false));
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("dropout", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("Dropout", {{"rate", 0.5}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
