// The Random* augmentation layers: identity at inference, as in Keras. Their training-time
// transformations draw from TensorFlow's random streams, which ksave cannot reproduce, so a
// training call is refused by name rather than silently left unaugmented.
#include <utility>

#include "ksave/augmentation_layers.hpp"
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

// One class per name of the shared list (a layer's class name must outlive it: the list's
// literals do).
template <std::size_t Index>
class Augmentation : public RandomAugmentation {
 public:
  explicit Augmentation(const Json& config) : RandomAugmentation(config, kAugmentationLayersIdentityAtInference[Index]) {}
};

template <std::size_t... Index>
void register_each(PluginRegistrar& r, std::index_sequence<Index...>) {
  (r.layer<Augmentation<Index>>(kAugmentationLayersIdentityAtInference[Index]), ...);
}

}  // namespace

void refuse_augmentation_in_training(const std::string& object) {
  throw Error(object + ": random augmentation in training is not implemented (Keras draws it from TensorFlow's "
                       "random streams); freeze or remove the layer to train (inference runs as in Keras)");
}

void register_augmentation(PluginRegistrar& r) {
  register_each(r, std::make_index_sequence<kAugmentationLayersIdentityAtInference.size()>());
}

}  // namespace ksave::plugins::preprocessing
