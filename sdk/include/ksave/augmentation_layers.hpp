// The random augmentation layers that are the identity at inference, in both Keras versions:
// the preprocessing plugin registers each (a training call is refused by name, as Keras draws
// the augmentation from TensorFlow's random streams) and the ONNX exporter writes each as an
// Identity, so both read this one list. RandomCrop and AutoContrast are not here: they compute
// at inference too.
#pragma once

#include <array>

namespace ksave {

inline constexpr std::array<const char*, 27> kAugmentationLayersIdentityAtInference = {
    // tf-keras 2.x and Keras 3 both have these.
    "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast", "RandomBrightness",
    "RandomHeight", "RandomWidth",
    // Keras 3 only (3.15; each checked against real Keras: its transform_images changes the
    // images only when training, so a float image comes back unchanged).
    "AugMix", "CutMix", "Equalization", "MixUp", "RandAugment", "RandomColorDegeneration", "RandomColorJitter",
    "RandomElasticTransform", "RandomErasing", "RandomGaussianBlur", "RandomGrayscale", "RandomHue", "RandomInvert",
    "RandomPerspective", "RandomPosterization", "RandomSaturation", "RandomSharpness", "RandomShear", "Solarization"};

}  // namespace ksave
