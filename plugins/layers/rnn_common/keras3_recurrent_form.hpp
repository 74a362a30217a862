// Keras 3's form of a recurrent layer's config (SimpleRNN, LSTM, GRU, RNN, ConvLSTM): the keys
// of its RNN base first, then those of the layer's own. Header-only: the plugins that include it
// register their classes with it.
#pragma once

#include <string>
#include <vector>

#include "ksave/keras3_form.hpp"

namespace ksave::plugins::rnn {

inline Keras3Form keras3_recurrent_layer_form(const std::vector<std::string>& own_keys) {
  std::vector<std::string> keys = {"name",     "trainable", "dtype",  "return_sequences",    "return_state",
                                   "go_backwards", "stateful", "unroll", "zero_output_for_mask"};
  keys.insert(keys.end(), own_keys.begin(), own_keys.end());
  // Keras 3's RNN always writes zero_output_for_mask; tf-keras's only when it was given.
  return Keras3Form().keys(std::move(keys)).default_value("zero_output_for_mask", false);
}

}  // namespace ksave::plugins::rnn
