// How oneDNN's RNN primitives see a Keras recurrent layer's tensors as ksave stores them, for the
// fused recurrent ops (fused_lstm.cpp, fused_rnn.cpp): one layer, one direction; sequences stay
// batch-major (oneDNN's ntc layout, so nothing is transposed); kernel (features, gates * units)
// and recurrent_kernel (units, gates * units) are oneDNN's ldigo with Keras's gate order in the
// columns, bias (bias_gates * units) its ldgo. Keras and oneDNN order the gates alike: LSTM i, f,
// c, o; GRU z (oneDNN's u), r, h (oneDNN's o).
#pragma once

#include <cstdint>

#include "dnnl_support.hpp"
#include "ksave/tensor.hpp"

namespace ksave::detail {

struct RnnShape {
  std::int64_t batch, steps, features, units;
};

struct RnnDescs {
  dnnl::memory::desc sequence_in, state, weights, recurrent, bias, sequence_out;
};

RnnDescs describe_rnn(const RnnShape& s, std::int64_t gates, std::int64_t bias_gates);

// `d`'s dimensions in whatever layout the primitive prefers (for weights).
dnnl::memory::desc any_like(const dnnl::memory::desc& d);

// Where the primitive writes the output sequence: a new (batch, steps, units) tensor put in
// `sequence` when someone keeps it (`keep`: returned, or needed by a gradient), else this thread's
// reused buffer.
float* sequence_output(const RnnShape& s, bool keep, Tensor& sequence);

// A float32 copy of `t`, a tensor of its own: a fused op's last-step output y must not share h_T's
// storage (a tape tells outputs apart by their storage).
Tensor copy_of(const Tensor& t);

}  // namespace ksave::detail
