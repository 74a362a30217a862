// A gradient in the form TensorFlow hands an optimizer for a variable read only by gathers along
// its first axis (an Embedding's table): tf.IndexedSlices. The optimizers of each Keras
// generation treat it differently from the summed dense gradient (Keras 3 squares the slices one
// by one; tf-keras sums duplicates first), so the training step passes it on as it is.
#pragma once

#include "ksave/tensor.hpp"

namespace ksave {

struct IndexedSlices {
  Tensor indices;  // int64 [n]: the row of the variable each slice belongs to, in lookup order
  Tensor values;   // float32 [n, the variable's other dims...]: one slice per lookup, duplicates
                   // not summed
};

}  // namespace ksave
