// The numbers of Keras 3.15's ContrastLimitedAdaptiveHistogramEqualization._clahe on images already
// in [0, 255]: each image and channel cut into a grid of tiles (the image padded at its bottom and
// right by mirroring, edge included, when the grid does not divide it), each tile's 256-bin
// histogram of the truncated pixel values clipped at clip_limit · tile area / 256 with the excess
// spread evenly over the bins (no clipping when clip_limit <= 0), its cumulative sum scaled to
// [0, 255], and each pixel's value read from the four nearest tiles' mappings (the grid extended by
// its edge tiles) and interpolated bilinearly by the pixel's distance to their centers. Every
// step in float32, in Keras's order, so that the outputs are Keras's to the last bit or so.
#pragma once

#include <string>

#include "ksave/tensor.hpp"

namespace ksave::plugins::preprocessing {

struct ClaheSettings {
  double clip_limit = 4.0;
  Dim grid_height = 8, grid_width = 8;
};

// `images`: float32 (batch, height, width, channels). `object` names the layer in errors: a grid
// whose padding would exceed the image (TensorFlow's symmetric MirrorPad refuses it, so Keras
// cannot run it either) is refused.
Tensor clahe_equalize(const Tensor& images, const ClaheSettings& settings, const std::string& object);

}  // namespace ksave::plugins::preprocessing
