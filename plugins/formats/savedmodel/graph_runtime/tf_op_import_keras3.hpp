// TensorFlow ops that Keras 3's model.export() graphs use and ksave's op set has no twin of:
// Erfc (gelu), Range and ReverseV2 (recurrent loops, go_backwards), Prod (Tensordot's shape
// arithmetic), SpaceToBatchND and BatchToSpaceND (dilated convolutions), Cumsum (the causal
// masks of GroupQueryAttention and MultiHeadAttention). Computed element by
// element: they run on small tensors or move each element once.
#pragma once

#include <map>
#include <string>

#include "tf_op_import.hpp"

namespace ksave::plugins::savedmodel {

void add_keras3_export_importers(std::map<std::string, TfOpImporter>& table);

}  // namespace ksave::plugins::savedmodel
