// TensorFlow ops whose dtypes ksave's float32 kernels do not keep: comparisons and logic (bool
// results, as TensorFlow gives) and arithmetic on integer tensors (shape and loop-counter
// arithmetic in traced graphs must stay integers). Computed element by element with NumPy
// broadcasting; float arithmetic keeps going through ksave's ops.
#pragma once

#include "tf_op_import.hpp"

namespace ksave::plugins::savedmodel {

// Less, LessEqual, Greater, GreaterEqual, Equal, NotEqual, LogicalAnd, LogicalOr (bool result).
TfOpImporter comparison_importer(const std::string& op);
TfOpImporter logical_not_importer();
// AddV2/Add/Sub/Mul/Maximum/Minimum/FloorMod/FloorDiv: integers here, floats through
// `float_path` (computed here too when it is empty).
TfOpImporter integer_or_float_importer(const std::string& op, TfOpImporter float_path);

}  // namespace ksave::plugins::savedmodel
