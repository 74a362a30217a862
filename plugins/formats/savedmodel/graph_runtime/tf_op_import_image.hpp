// TensorFlow's image resize ops (ResizeBilinear, ResizeNearestNeighbor, ResizeBicubic), which
// tf.image.resize emits: Keras 3's export of Resizing, tf-keras SavedModels of Resizing and
// UpSampling2D(interpolation="bilinear"). Run with the Resizing layer's kernels
// (plugins/layers/common/image_resize.hpp) and the node's align_corners / half_pixel_centers.
// (ScaleAndTranslate, tf.image.resize with antialias, is not run.)
#pragma once

#include <map>
#include <string>

#include "tf_op_import.hpp"

namespace ksave::plugins::savedmodel {

void add_image_importers(std::map<std::string, TfOpImporter>& table);

}  // namespace ksave::plugins::savedmodel
