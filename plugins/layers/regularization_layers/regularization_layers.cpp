// Keras's regularization layers other than Dropout: SpatialDropout1D/2D/3D, GaussianNoise,
// GaussianDropout, AlphaDropout and ActivityRegularization, and the Identity layer. The noise
// layers are the identity at inference and draw their noise only in training, as Keras; the
// noise is a constant for autodiff, so gradients flow through it as through Dropout's mask.
// ActivityRegularization is the identity that adds l1·Σ|y| + l2·Σy² over the batch size as a
// loss (tf-keras's activity-regularizer rule, the same as the other layers' activity_regularizer).
#include <cmath>
#include <mutex>
#include <random>

#include "../common/spatial_config.hpp"
#include "ksave/conformance.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

std::string object_of(const Layer& layer, const std::string& cls) { return "layer '" + layer.name() + "' (" + cls + ")"; }

// A layer that passes its input (and mask) through unchanged outside training.
class PassThrough : public Layer {
 public:
  PassThrough(const Json& config, const std::string& cls) : Layer(config, cls) { set_supports_masking(true); }

 protected:
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return shapes; }
};

class Identity : public PassThrough {
 public:
  explicit Identity(const Json& config) : PassThrough(config, "Identity") {}
  std::string class_name() const override { return "Identity"; }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override { return {inputs.at(0)}; }
};

class ActivityRegularization : public PassThrough {
 public:
  explicit ActivityRegularization(const Json& config) : PassThrough(config, "ActivityRegularization") {
    const ConfigReader r(config, object_of(*this, "ActivityRegularization"));
    l1_ = r.get<double>("l1", 0.0);
    l2_ = r.get<double>("l2", 0.0);
    if (l1_ < 0 || l2_ < 0)
      throw Error(r.object() + ": l1 and l2 must not be negative, found " + std::to_string(l1_) + " and " + std::to_string(l2_));
  }
  std::string class_name() const override { return "ActivityRegularization"; }
  Json get_config() const override {
    Json c = Layer::get_config();
    c["l1"] = l1_;
    c["l2"] = l2_;
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor y = inputs.at(0).as_float();
    Tensor penalty = Tensor::scalar(0.0f);
    if (l1_ > 0) penalty = ops::add(penalty, ops::mul(ops::sum(ops::abs(y)), l1_));
    if (l2_ > 0) penalty = ops::add(penalty, ops::mul(ops::sum(ops::square(y)), l2_));
    if (y.rank() > 0 && y.dim(0) > 0) add_loss(ops::div(penalty, Tensor::scalar(static_cast<float>(y.dim(0)))));
    return {y};
  }

 private:
  double l1_ = 0, l2_ = 0;
};

// rate and seed as Keras's noise layers read them, and the seeded generator they draw from.
class NoiseLayer : public PassThrough {
 public:
  NoiseLayer(const Json& config, const std::string& cls, const char* amount_key) : PassThrough(config, cls), key_(amount_key) {
    const ConfigReader r(config, object_of(*this, cls));
    amount_ = r.require<double>(amount_key);
    const bool is_rate = key_ == std::string("rate");
    if (amount_ < 0 || (is_rate && amount_ >= 1))
      throw Error(r.object() + ": " + key_ + " must be in " + (is_rate ? "[0, 1)" : "[0, inf)") + ", found " + std::to_string(amount_));
    seed_ = r.get<Json>("seed", nullptr);
    generator_.seed(seed_.is_number_integer() ? seed_.get<std::uint64_t>() : std::random_device{}());
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext& ctx) override {
    const Tensor x = inputs.at(0).as_float();
    if (!ctx.training || amount_ == 0) return {x};
    std::lock_guard lock(mutex_);
    return {noisy(x)};
  }
  virtual Tensor noisy(const Tensor& x) = 0;  // called in training, under the generator's lock

  // The amount (rate or stddev), then the seed: the keys every noise layer writes.
  Json get_config() const override {
    Json c = Layer::get_config();
    c[key_] = amount_;
    c["seed"] = seed_;
    return c;
  }

  // A float tensor of `shape` with each value drawn by `draw(generator)`.
  template <typename Draw>
  Tensor drawn(const Shape& shape, Draw draw) {
    Tensor t(DType::Float32, shape);
    for (float& v : t.values<float>()) v = draw(generator_);
    return t;
  }
  const char* key_;
  double amount_ = 0;
  Json seed_;

 private:
  std::mutex mutex_;  // predict from several threads never draws; training may
  std::mt19937_64 generator_;
};

class GaussianNoise : public NoiseLayer {
 public:
  explicit GaussianNoise(const Json& config) : NoiseLayer(config, "GaussianNoise", "stddev") {}
  std::string class_name() const override { return "GaussianNoise"; }

 protected:
  Tensor noisy(const Tensor& x) override {
    std::normal_distribution<float> normal(0.0f, static_cast<float>(amount_));
    return ops::add(x, drawn(x.shape(), normal));
  }
};

// Multiplicative noise of mean 1 and standard deviation sqrt(rate / (1 - rate)).
class GaussianDropout : public NoiseLayer {
 public:
  explicit GaussianDropout(const Json& config) : NoiseLayer(config, "GaussianDropout", "rate") {}
  std::string class_name() const override { return "GaussianDropout"; }

 protected:
  Tensor noisy(const Tensor& x) override {
    std::normal_distribution<float> normal(1.0f, static_cast<float>(std::sqrt(amount_ / (1.0 - amount_))));
    return ops::mul(x, drawn(x.shape(), normal));
  }
};

// Dropped units are set to SELU's negative saturation and the result affinely corrected so that
// mean and variance are kept (Keras's AlphaDropout constants).
class AlphaDropout : public NoiseLayer {
 public:
  explicit AlphaDropout(const Json& config) : NoiseLayer(config, "AlphaDropout", "rate") {
    noise_shape_ = ConfigReader(config, object_of(*this, "AlphaDropout")).get<Json>("noise_shape", nullptr);
  }
  std::string class_name() const override { return "AlphaDropout"; }
  Json get_config() const override {
    Json c = NoiseLayer::get_config();
    if (!noise_shape_.is_null()) c["noise_shape"] = noise_shape_;  // tf-keras writes it only when given
    return c;
  }

 protected:
  Tensor noisy(const Tensor& x) override {
    constexpr double alpha_p = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946;
    const double rate = amount_;
    const double a = 1.0 / std::sqrt((1.0 - rate) * (1.0 + rate * alpha_p * alpha_p));
    const double b = -a * alpha_p * rate;
    Shape shape = x.shape();
    if (noise_shape_.is_array() && noise_shape_.size() == shape.size())
      for (std::size_t i = 0; i < shape.size(); ++i)
        if (!noise_shape_[i].is_null()) shape[i] = noise_shape_[i].get<Dim>();
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    const Tensor kept = drawn(shape, [&](std::mt19937_64& g) { return uniform(g) >= rate ? 1.0f : 0.0f; });
    // a·(x·kept + alpha_p·(1 - kept)) + b
    const Tensor scale = ops::mul(kept, a);
    const Tensor shift = ops::add(ops::mul(kept, -a * alpha_p), a * alpha_p + b);
    return ops::add(ops::mul(x, scale), shift);
  }

 private:
  Json noise_shape_;
};

// Dropout of whole feature maps: one keep/drop draw per sample and channel, shared by every
// spatial position.
template <int Rank>
class SpatialDropout : public NoiseLayer {
 public:
  static constexpr const char* kClass = by_rank<Rank>("SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D");

  explicit SpatialDropout(const Json& config) : NoiseLayer(config, kClass, "rate") {
    const ConfigReader r(config, object_of(*this, kClass));
    if constexpr (Rank > 1) data_format_ = spatial::data_format(r);
  }
  std::string class_name() const override { return kClass; }
  // tf-keras's keys (Dropout's: rate, noise_shape, seed); it keeps data_format out of its config,
  // so it is written only when it is not the default, where dropping it would change the layer.
  Json get_config() const override {
    Json c = Layer::get_config();
    c[key_] = amount_;
    c["noise_shape"] = nullptr;
    c["seed"] = seed_;
    if (data_format_ == "channels_first") c["data_format"] = data_format_;
    return c;
  }

 protected:
  Tensor noisy(const Tensor& x) override {
    if (x.rank() != Rank + 2)
      throw Error(object_of(*this, kClass) + " needs an input of rank " + std::to_string(Rank + 2) + ", found " +
                  shape_to_string(x.shape()));
    Shape shape(x.shape().size(), 1);
    const std::size_t channel = data_format_ == "channels_first" ? 1 : shape.size() - 1;
    shape[0] = x.dim(0);
    shape[channel] = x.shape()[channel];
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    const auto keep_scale = static_cast<float>(1.0 / (1.0 - amount_));
    return ops::mul(x, drawn(shape, [&](std::mt19937_64& g) { return uniform(g) >= amount_ ? keep_scale : 0.0f; }));
  }

 private:
  std::string data_format_ = "channels_last";
};

// Keras 3's forms: none of these classes has a build() of its own, and Keras 3 records the
// training=False its noise layers' calls default to.
Keras3Form keras3_noise_form() { return Keras3Form().no_build_config().call_kwarg("training", false); }

// Keras 3's SpatialDropout layers write their keys in their constructor's order, a plain dtype,
// and no trainable or noise_shape.
Keras3Form keras3_spatial_dropout_form(std::vector<std::string> keys) {
  return keras3_noise_form().plain_dtype().keys(std::move(keys)).dropped({"trainable", "noise_shape"});
}

void register_objects(PluginRegistrar& r) {
  const Keras3Form no_build = Keras3Form().no_build_config();
  r.layer<Identity>("Identity").keras3_form(no_build);
  r.layer<ActivityRegularization>("ActivityRegularization").keras3_form(no_build);
  r.layer<GaussianNoise>("GaussianNoise").keras3_form(keras3_noise_form());
  r.layer<GaussianDropout>("GaussianDropout").keras3_form(keras3_noise_form());
  r.layer<AlphaDropout>("AlphaDropout")
      .keras3_form(keras3_noise_form()
                       .keys({"name", "trainable", "dtype", "rate", "seed", "noise_shape"})
                       .default_value("noise_shape", nullptr));
  r.layer<SpatialDropout<1>>("SpatialDropout1D").keras3_form(keras3_spatial_dropout_form({"rate", "seed", "name", "dtype"}));
  const Keras3Form spatial_dropout = keras3_spatial_dropout_form({"rate", "seed", "name", "dtype", "data_format"});
  r.layer<SpatialDropout<2>>("SpatialDropout2D").keras3_form(spatial_dropout);
  r.layer<SpatialDropout<3>>("SpatialDropout3D").keras3_form(spatial_dropout);
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("regularization_layers", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("GaussianNoise", {{"stddev", 0.1}})
      .layer("GaussianDropout", {{"rate", 0.5}})
      .layer("AlphaDropout", {{"rate", 0.5}})
      .layer("SpatialDropout1D", {{"rate", 0.5}})
      .layer("SpatialDropout2D", {{"rate", 0.5}})
      .layer("SpatialDropout3D", {{"rate", 0.5}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
