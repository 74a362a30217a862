// Recurrent weights stored by older Keras versions, rearranged into LSTM's and GRU's layout
// (tf.keras's preprocess_weights_for_loading and _convert_rnn_weights), for those layers'
// convert_stored_weights:
//  - Keras 1: one kernel, recurrent kernel and bias per gate (3 arrays per gate, gate by gate),
//    merged into three arrays with the gates in today's order;
//  - CuDNNLSTM / CuDNNGRU (Keras 2.0-2.3): recognized by the bias, which holds the input and
//    recurrent biases apart (2 * gates * units values); kernels rearranged per gate.
#pragma once

#include <string>
#include <vector>

#include "ksave/layer.hpp"

namespace ksave::plugins::rnn {

struct LegacyGates {
  std::size_t count;                       // 4 for an LSTM, 3 for a GRU
  std::vector<std::size_t> keras1_order;   // today's gate g is Keras 1's keras1_order[g]
};

bool legacy_rnn_weights(const LegacyGates& gates, const std::vector<Shape>& stored, const std::string& keras_version);

// `layer` names the layer in errors; `reset_after` is a GRU's (CuDNNGRU's biases need it).
std::vector<Tensor> convert_legacy_rnn_weights(const Layer& layer, const LegacyGates& gates,
                                               std::vector<Tensor> stored, const std::string& keras_version,
                                               bool reset_after);

}  // namespace ksave::plugins::rnn
