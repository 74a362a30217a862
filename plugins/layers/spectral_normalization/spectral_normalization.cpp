// SpectralNormalization (tf-keras 2.x and Keras 3): wraps a layer that has a `kernel` (or an
// Embedding's `embeddings`). A training call first divides that kernel by its largest singular
// value, estimated by power iteration from the persistent, non-trainable `vector_u`, and stores
// both (power_iteration.hpp); then the wrapped layer runs. Inference runs the wrapped layer with
// the kernel as stored. Both Keras versions hold the kernel as the wrapper's own variable too
// (tf-keras's checkpoints name it `layer_with_weights-0/kernel`, Keras 3's archive stores it as
// the wrapper's `vars/0` beside the wrapped layer's), so the wrapper tracks it, before vector_u.
#include <algorithm>

#include "ksave/config.hpp"
#include "ksave/conformance.hpp"
#include "ksave/plugin.hpp"
#include "ksave/serialization.hpp"
#include "ksave/sublayer_config.hpp"
#include "power_iteration.hpp"

namespace ksave::plugins {
namespace {

class SpectralNormalization : public Layer {
 public:
  explicit SpectralNormalization(const Json& config) : Layer(config, "SpectralNormalization") {
    ConfigReader r(config, describe());
    layer_ = track("layer", deserialize_layer(r.require<Json>("layer")));
    power_iterations_ = r.get<std::int64_t>("power_iterations", 1);
    // Each iteration is two passes over the kernel: a count from a file is bounded.
    constexpr std::int64_t kMostIterations = 1000;
    if (power_iterations_ < 1 || power_iterations_ > kMostIterations)
      throw Error(describe() + ": power_iterations must be between 1 (Keras's minimum) and " + std::to_string(kMostIterations) +
                  ", found " + std::to_string(power_iterations_));
  }

  std::string class_name() const override { return "SpectralNormalization"; }

  Json get_config() const override {
    Json c = Layer::get_config();
    c["layer"] = serialize_sublayer(*layer_);
    c["power_iterations"] = power_iterations_;
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    layer_->build(shapes);
    kernel_ = wrapped_kernel();
    track_variable("kernel", kernel_);
    vector_u_ = add_weight({.name = "vector_u",
                            .shape = {1, kernel_->shape().back()},
                            .initializer = get_initializer(Json{{"class_name", "TruncatedNormal"}, {"config", {{"stddev", 0.02}}}}),
                            .trainable = false});
  }

  Tensors call(const Tensors& inputs, const CallContext& ctx) override {
    if (ctx.training) normalize_kernel();
    return (*layer_)(inputs, ctx);
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return layer_->output_shapes(shapes); }

 private:
  std::string describe() const { return "layer '" + name() + "' (SpectralNormalization)"; }

  // The wrapped layer's kernel, as Keras finds it: its `kernel`, else its `embeddings`.
  VariablePtr wrapped_kernel() const {
    for (const char* attribute : {"kernel", "embeddings"})
      for (const auto& [name, variable] : layer_->own_variables())
        if (name == attribute) {
          if (variable->shape().size() < 2)
            throw Error(describe() + ": the wrapped layer's " + name + " must have at least 2 axes, found " +
                        shape_to_string(variable->shape()));
          return variable;
        }
    throw Error(describe() + ": the wrapped layer '" + layer_->name() + "' (" + layer_->class_name() +
                ") has no kernel or embeddings to normalize, as Keras requires");
  }

  // Keras leaves an all-zero kernel (and u) as they are.
  void normalize_kernel() {
    const Tensor& kernel = kernel_->value();
    std::vector<float> values = kernel.as_float().to_vector<float>();
    if (std::all_of(values.begin(), values.end(), [](float v) { return v == 0.0f; })) return;
    const Dim columns = kernel.shape().back();
    const Dim rows = kernel.size() / columns;
    spectral::Normalized next =
        spectral::normalize(values, rows, columns, vector_u_->value().as_float().to_vector<float>(), power_iterations_);
    vector_u_->assign(Tensor::from_vector(next.vector_u, vector_u_->shape()));
    kernel_->assign(Tensor::from_vector(next.kernel, kernel.shape()));
  }

  LayerPtr layer_;
  std::int64_t power_iterations_ = 1;
  VariablePtr kernel_, vector_u_;
};

void register_objects(PluginRegistrar& r) {
  // Keras 3 builds the wrapped layer with the wrapper's own input shape.
  r.layer<SpectralNormalization>("SpectralNormalization")
      .keras3_form(Keras3Form().wrapped_build("layer", Keras3Form::WrappedBuild::SameShape));
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("spectral_normalization", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds this class from: {} wraps nothing.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("SpectralNormalization", {{"layer", {{"class_name", "Dense"}, {"config", {{"units", 2}}}}}}, {{.shape = {3}}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
