// The LSTM state update shared by LSTMCell and ConvLSTMCell (header only): from the four gates'
// pre-activations (i, f, c, o, each input and recurrent parts summed, bias included) and the
// previous carry, c' = f*c + i*act(zc) and h' = o*act(c'), the gates through
// recurrent_activation. Returns the output followed by the new states: {h', h', c'}.
#pragma once

#include <array>

#include "recurrent.hpp"

namespace ksave::plugins::rnn {

inline Tensors lstm_update(const std::array<Tensor, 4>& z, const Tensor& c, const CellConfig& options) {
  const Activation& gate_fn = *options.recurrent_activation;
  const Tensor i = gate_fn(z[0]);
  const Tensor f = gate_fn(z[1]);
  const Tensor candidate = options.activation(z[2]);
  const Tensor o = gate_fn(z[3]);
  const Tensor c_next = ops::add(ops::mul(f, c), ops::mul(i, candidate));
  const Tensor h_next = ops::mul(o, options.activation(c_next));
  return {h_next, h_next, c_next};
}

}  // namespace ksave::plugins::rnn
