// tf.keras's preprocess_weights_for_loading: arrays stored by older Keras versions rearranged
// into today's variable layout.
//  - Keras 1 (no keras_version on the weights group): LSTM's 12 per-gate arrays (gates i, c, f, o)
//    merged into kernel, recurrent_kernel, bias with gates i, f, c, o; GRU's 9 arrays merged;
//    Conv1D/Conv2D/Conv3D/Conv2DTranspose kernels from Keras 1 axis orders.
//  - any version: a rank-4 conv kernel stored in Theano's (out, in, h, w) order is transposed;
//    CuDNNLSTM / CuDNNGRU weights (bias of 2 * gates * units) converted into LSTM / GRU's.
#pragma once

#include <string>
#include <vector>

#include "ksave/layer.hpp"

namespace ksave::plugins::h5 {

// True when the stored arrays of `layer` must go through convert_legacy_weights (so they are
// read into memory first instead of straight into the variables).
bool needs_legacy_conversion(const Layer& layer, const std::vector<Shape>& stored_shapes,
                             const std::string& keras_version);

// The arrays to assign to layer.weights(), in order.
std::vector<Tensor> convert_legacy_weights(const Layer& layer, std::vector<Tensor> stored,
                                           const std::string& keras_version);

}  // namespace ksave::plugins::h5
