// Preprocessing layers with a numeric meaning: Resizing, CenterCrop, CategoryEncoding,
// Discretization and the Random* augmentation layers. (Rescaling and Normalization live with the
// keras.applications work; Hashing, IntegerLookup and StringLookup are not here: see README.)
#include "preprocessing_layer.hpp"

namespace ksave::plugins::preprocessing {
namespace {

void register_objects(PluginRegistrar& r) {
  register_augmentation(r);
  register_image_layers(r);
  register_encoding_layers(r);
}

}  // namespace
}  // namespace ksave::plugins::preprocessing

KSAVE_PLUGIN("preprocessing", "0.1.0", ksave::plugins::preprocessing::register_objects)
