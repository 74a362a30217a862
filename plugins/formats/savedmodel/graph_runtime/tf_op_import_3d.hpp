// TensorFlow's 3-D convolution and pooling ops (Conv3D, Conv3DBackpropInputV2, MaxPool3D,
// AvgPool3D, NDHWC) and Any, which Keras 3 exports of 3-D and masked models hold, run through
// ksave's 2-D ops as the 3-D layers compute them (plugins/layers/common/conv3d.hpp).
#pragma once

#include <map>
#include <string>

#include "tf_op_import.hpp"

namespace ksave::plugins::savedmodel {

void add_3d_importers(std::map<std::string, TfOpImporter>& table);

}  // namespace ksave::plugins::savedmodel
