// Keras 3's Pipeline: a plain layer (not a model) that applies its layers in order, each on the
// previous one's output, passing the call's training flag and the masks on (keras.layers.Pipeline).
// Its config is {"layers": [...], "name"} and nothing else; Keras 3 saves the layers' variables under
// "<pipeline>/layers/<snake_case class>[_N]" (measured with Keras 3.15: layers/pipeline/layers/dense,
// layers/pipeline/layers/dense_1), as the tracked attributes say.
#include <algorithm>

#include "../common/keras3_layer_list.hpp"
#include "ksave/conformance.hpp"
#include "ksave/config.hpp"
#include "ksave/plugin.hpp"
#include "ksave/serialization.hpp"
#include "ksave/sublayer_config.hpp"

namespace ksave::plugins {
namespace {

class Pipeline : public Layer {
 public:
  explicit Pipeline(const Json& config) : Layer(config, "Pipeline") {
    const Json layers = ConfigReader(config, describe()).require<Json>("layers");
    if (!layers.is_array())
      throw Error(describe() + ": config key 'layers' expected a list of serialized layers, found " + layers.dump().substr(0, 200));
    for (const Json& entry : layers) layers_.push_back(deserialize_layer(entry));
    const std::vector<std::string> attributes = keras3_list_attributes("layers", layers_);
    for (std::size_t i = 0; i < layers_.size(); ++i) track(attributes[i], layers_[i]);
  }

  std::string class_name() const override { return "Pipeline"; }

  // As Keras 3's Layer.trainable setter: the layers follow (its config has no trainable key of its
  // own; each layer's config keeps its flag).
  void set_trainable(bool trainable) override {
    Layer::set_trainable(trainable);
    for (const LayerPtr& layer : layers_) layer->set_trainable(trainable);
  }

  // Keras 3's config in every format (only Keras 3 has the class, and its __init__(layers,
  // name=None) takes nothing else: from_config passes every key on, so a trainable or dtype key
  // fails its load, of a legacy .h5 too).
  Json get_config() const override {
    Json layers = Json::array();
    for (const LayerPtr& layer : layers_) layers.push_back(serialize_sublayer(*layer));
    return Json{{"layers", std::move(layers)}, {"name", name()}};
  }

  // TensorFlow's object graph: the list at layers/0, layers/1, ...
  std::vector<TrackableChild> trackable_children() const override { return {tracked_layer_list("layers", layers_)}; }

 protected:
  // Each layer is built for the shape the one before it gives (Keras 3 builds them on the first
  // call, and writes those shapes as their build_config).
  void build_impl(const std::vector<Shape>& shapes) override {
    std::vector<Shape> current = shapes;
    for (const LayerPtr& layer : layers_) {
      layer->build(current);
      current = layer->output_shapes(current);
    }
  }

  Tensors call(const Tensors& inputs, const CallContext& ctx) override { return run(inputs, ctx).outputs; }

  // The last layer's mask, as Keras 3's (its Pipeline hands each layer the mask of the one before
  // and keeps the last one's; measured: Pipeline([Embedding(mask_zero=True)]) masks the LSTM after
  // it). The masks are computed by running the layers again, only where there can be one: a mask
  // comes in, or a layer makes one (Embedding, Masking: seen when the output dtype was probed).
  Tensors compute_mask(const Tensors& inputs, const Tensors& masks, std::size_t) const override {
    const bool masked = std::any_of(masks.begin(), masks.end(), [](const Tensor& m) { return m.defined(); });
    if (!masked && !makes_masks_) return {};
    CallContext ctx;
    ctx.masks = masks;
    return run(inputs, ctx).masks;
  }

  // The layers' own shapes in turn (RandomCrop declares its target's shape at inference, where its
  // call returns the images as they are; Keras 3's Pipeline gives the declared one).
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    dtype_probe_shapes_ = shapes;
    std::vector<Shape> current = shapes;
    for (const LayerPtr& layer : layers_) current = layer->output_shapes(current);
    return current;
  }

  // What the last layer gives (CategoryEncoding floats, a lookup int64, ...): asked of one run of
  // the layers on zeros of the shapes just computed for (a free dimension as 1), which is how
  // Keras 3 learns it (a symbolic call of each layer in turn). The run also shows whether a layer
  // makes a mask.
  DType output_dtype(const std::vector<DType>& dtypes) const override {
    if (layers_.empty()) return dtypes.empty() ? dtype() : dtypes[0];
    Tensors zeros;
    for (std::size_t i = 0; i < dtype_probe_shapes_.size(); ++i) {
      Shape shape = dtype_probe_shapes_[i];
      for (Dim& d : shape)
        if (d < 0) d = 1;
      zeros.emplace_back(i < dtypes.size() ? dtypes[i] : dtype(), shape);
    }
    const Run probe = run(zeros, CallContext{});
    makes_masks_ = std::any_of(probe.masks.begin(), probe.masks.end(), [](const Tensor& m) { return m.defined(); });
    return probe.outputs.empty() ? dtype() : probe.outputs[0].dtype();
  }

 private:
  struct Run {
    Tensors outputs, masks;
  };
  // Each layer on the one before's outputs and masks, with the call's training flag.
  Run run(const Tensors& inputs, const CallContext& ctx) const {
    CallContext inner;
    inner.training = ctx.training;
    inner.masks = ctx.masks;
    Tensors x = inputs;
    for (const LayerPtr& layer : layers_) {
      Tensors y = (*layer)(x, inner);
      inner.masks = layer->compute_mask(x, inner.masks, y.size());
      x = std::move(y);
    }
    return {std::move(x), std::move(inner.masks)};
  }

  std::string describe() const { return "layer '" + name() + "' (Pipeline)"; }
  std::vector<LayerPtr> layers_;
  std::vector<Shape> dtype_probe_shapes_;  // the input shapes of the last shape computation
  // Whether a layer made a mask in the output dtype's probe; until then, assumed (masks are then
  // computed, which is right, only slower).
  mutable bool makes_masks_ = true;
};

void register_objects(PluginRegistrar& r) {
  // Keras 3 records training=True (its call's default) and mask=None on each call.
  r.layer<Pipeline>("Pipeline").keras3_form(Keras3Form().call_kwarg("training", true).call_kwarg("mask", nullptr));
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("pipeline", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing.
namespace {

ksave::Json conformance_samples() {
  const ksave::Json layers = ksave::Json::array({{{"class_name", "Rescaling"}, {"config", {{"scale", 0.5}, {"offset", 1.0}}}},
                                                 {{"class_name", "Dense"}, {"config", {{"units", 2}}}}});
  return ksave::ConformanceSamples().layer("Pipeline", {{"layers", layers}}, {{.shape = {3}}}).json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
