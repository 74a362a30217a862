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
    if (ctx.training) refuse_augmentation_in_training(object());
    return {inputs.at(0)};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return {shapes.at(0)}; }
};

template <const char* Name>
class Augmentation : public RandomAugmentation {
 public:
  explicit Augmentation(const Json& config) : RandomAugmentation(config, Name) {}
};

// tf-keras 2.x and Keras 3 both have these.
constexpr char kFlip[] = "RandomFlip", kRotation[] = "RandomRotation", kZoom[] = "RandomZoom",
               kTranslation[] = "RandomTranslation", kContrast[] = "RandomContrast", kBrightness[] = "RandomBrightness",
               kHeight[] = "RandomHeight", kWidth[] = "RandomWidth";
// Keras 3 only (3.15; each checked against real Keras: its transform_images changes the images
// only when training, so a float image comes back unchanged). AutoContrast is not one of them:
// it computes at inference too.
constexpr char kAugMix[] = "AugMix", kCutMix[] = "CutMix", kEqualization[] = "Equalization", kMixUp[] = "MixUp",
               kRandAugment[] = "RandAugment", kColorDegeneration[] = "RandomColorDegeneration",
               kColorJitter[] = "RandomColorJitter", kElastic[] = "RandomElasticTransform", kErasing[] = "RandomErasing",
               kGaussianBlur[] = "RandomGaussianBlur", kGrayscale[] = "RandomGrayscale", kHue[] = "RandomHue",
               kInvert[] = "RandomInvert", kPerspective[] = "RandomPerspective", kPosterization[] = "RandomPosterization",
               kSaturation[] = "RandomSaturation", kSharpness[] = "RandomSharpness", kShear[] = "RandomShear",
               kSolarization[] = "Solarization";

template <const char*... Names>
void register_each(PluginRegistrar& r) {
  (r.layer<Augmentation<Names>>(Names), ...);
}

}  // namespace

void refuse_augmentation_in_training(const std::string& object) {
  throw Error(object + ": random augmentation in training is not implemented (Keras draws it from TensorFlow's "
                       "random streams); freeze or remove the layer to train (inference runs as in Keras)");
}

void register_augmentation(PluginRegistrar& r) {
  register_each<kFlip, kRotation, kZoom, kTranslation, kContrast, kBrightness, kHeight, kWidth>(r);
  register_each<kAugMix, kCutMix, kEqualization, kMixUp, kRandAugment, kColorDegeneration, kColorJitter, kElastic,
                kErasing, kGaussianBlur, kGrayscale, kHue, kInvert, kPerspective, kPosterization, kSaturation, kSharpness,
                kShear, kSolarization>(r);
}

}  // namespace ksave::plugins::preprocessing
