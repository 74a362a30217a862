// ParseExample / ParseExampleV2 for dense features: the tf.Example strings the serving
// signatures of TF1/TF2 models take (regress, classify), decoded with protobuf's wire reader
// (tf.Example is not one of ksave's messages). Sparse and ragged features are refused by name.
#pragma once

#include "tf_op_import.hpp"

namespace ksave::plugins::savedmodel {

// `v2`: ParseExampleV2 (keys as 1-D string tensors) instead of ParseExample (one scalar each).
TfOpImporter parse_example_importer(bool v2);

}  // namespace ksave::plugins::savedmodel
