// The Random* augmentation layers: identity at inference, as in Keras. Their training-time
// transformations draw from TensorFlow's random streams, which ksave cannot reproduce, so a
// training call is refused by name rather than silently left unaugmented.
#include "preprocessing_layer.hpp"

namespace ksave::plugins::preprocessing {
namespace {

class RandomAugmentation : public PreprocessingLayer {
 public:
  RandomAugmentation(const Json& config, const char* class_name) : PreprocessingLayer(config, class_name) {}

 protected:
  Tensors call(const Tensors& inputs, const CallContext& ctx) override {
    if (ctx.training)
      throw Error(object() + ": random augmentation in training is not implemented (Keras draws it from TensorFlow's "
                             "random streams); freeze or remove the layer to train, it is the identity at inference");
    return {inputs.at(0)};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return {shapes.at(0)}; }
};

template <const char* Name>
class Augmentation : public RandomAugmentation {
 public:
  explicit Augmentation(const Json& config) : RandomAugmentation(config, Name) {}
};

constexpr char kFlip[] = "RandomFlip", kRotation[] = "RandomRotation", kZoom[] = "RandomZoom",
               kTranslation[] = "RandomTranslation", kContrast[] = "RandomContrast", kBrightness[] = "RandomBrightness",
               kHeight[] = "RandomHeight", kWidth[] = "RandomWidth";

}  // namespace

void register_augmentation(PluginRegistrar& r) {
  r.layer<Augmentation<kFlip>>(kFlip);
  r.layer<Augmentation<kRotation>>(kRotation);
  r.layer<Augmentation<kZoom>>(kZoom);
  r.layer<Augmentation<kTranslation>>(kTranslation);
  r.layer<Augmentation<kContrast>>(kContrast);
  r.layer<Augmentation<kBrightness>>(kBrightness);
  r.layer<Augmentation<kHeight>>(kHeight);
  r.layer<Augmentation<kWidth>>(kWidth);
}

}  // namespace ksave::plugins::preprocessing
