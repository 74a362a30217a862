// TimeDistributed: applies the wrapped layer to every time step, by folding time into the
// batch ((batch, time, ...) → (batch * time, ...)) for one call of the inner layer.
#include "ksave/config.hpp"
#include "ksave/ops.hpp"
#include "ksave/conformance.hpp"
#include "ksave/plugin.hpp"
#include "ksave/serialization.hpp"
#include "ksave/sublayer_config.hpp"

namespace ksave::plugins {
namespace {

class TimeDistributed : public Layer {
 public:
  explicit TimeDistributed(const Json& config) : Layer(config, "TimeDistributed") {
    ConfigReader r(config, describe());
    layer_ = track("layer", deserialize_layer(r.require<Json>("layer")));
    set_supports_masking(true);
  }

  std::string class_name() const override { return "TimeDistributed"; }

  Json get_config() const override {
    Json c = Layer::get_config();
    c["layer"] = serialize_sublayer(*layer_);
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override { layer_->build(step_shape(shapes)); }

  Tensors call(const Tensors& inputs, const CallContext& ctx) override {
    const Tensor& x = inputs.at(0);
    if (x.rank() < 3) throw Error(describe() + " needs inputs of rank >= 3, found " + shape_to_string(x.shape()));
    Shape folded(x.shape().begin() + 1, x.shape().end());
    folded[0] = x.dim(0) * x.dim(1);
    CallContext inner;
    inner.training = ctx.training;
    Tensor y = (*layer_)(ops::reshape(x, folded), inner);
    Shape unfolded{x.dim(0), x.dim(1)};
    unfolded.insert(unfolded.end(), y.shape().begin() + 1, y.shape().end());
    return {ops::reshape(y, unfolded)};
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    Shape inner = layer_->output_shapes(step_shape(shapes)).at(0);
    Shape out{shapes[0][0], shapes[0][1]};
    out.insert(out.end(), inner.begin() + 1, inner.end());
    return {out};
  }

 private:
  std::string describe() const { return "layer '" + name() + "' (TimeDistributed)"; }
  std::vector<Shape> step_shape(const std::vector<Shape>& shapes) const {
    if (shapes.size() != 1 || shapes[0].size() < 3)
      throw Error(describe() + " needs one input of rank >= 3, found " +
                  (shapes.empty() ? std::string("none") : shape_to_string(shapes[0])));
    Shape s{kUnknown};
    s.insert(s.end(), shapes[0].begin() + 2, shapes[0].end());
    return {s};
  }
  LayerPtr layer_;
};

void register_objects(PluginRegistrar& r) {
  // Keras 3 builds the wrapped layer with the shape of one step.
  r.layer<TimeDistributed>("TimeDistributed")
      .keras3_form(Keras3Form().wrapped_build("layer", Keras3Form::WrappedBuild::PerStep));
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("time_distributed", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("TimeDistributed", {{"layer", {{"class_name", "Dense"}, {"config", {{"units", 2}}}}}}, {{.shape = {3, 4}}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
