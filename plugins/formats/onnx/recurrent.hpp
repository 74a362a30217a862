// Recurrent layers (SimpleRNN, LSTM, GRU, their cells, RNN around one of them, Bidirectional) as
// ONNX operators.
//
// Two forms, both computing what ksave's RNN layer computes:
//  - ONNX's own RNN, LSTM and GRU operators (what ONNX Runtime runs fastest), when no mask reaches
//    the layer and its activations are in the operators' list. Keras's gate order is converted
//    (LSTM i,f,c,o → ONNX i,o,f,c; GRU z,r,h is ONNX's), GRU's reset_after is ONNX's
//    linear_before_reset.
//  - a Scan over the time axis whose body is the cell written out, otherwise: any activation with an
//    ONNX form, and Keras's masking exactly (a masked step keeps the previous states and output),
//    including masks with gaps, which the operators' sequence_lens cannot express.
#pragma once

#include <string>
#include <vector>

#include "converter.hpp"

namespace ksave::plugins::onnx_export {

enum class CellKind { SimpleRNN, LSTM, GRU };

// A recurrent cell as configured: its kind, size, activations and weights (Keras's layouts).
struct CellSpec {
  CellKind kind = CellKind::SimpleRNN;
  std::int64_t units = 0;
  std::string activation, recurrent_activation;
  bool reset_after = false;  // GRU
  VariablePtr kernel, recurrent_kernel, bias;  // bias null without use_bias

  std::int64_t gates() const { return kind == CellKind::LSTM ? 4 : kind == CellKind::GRU ? 3 : 1; }
  std::size_t state_count() const { return kind == CellKind::LSTM ? 2 : 1; }
};

// The cell of a recurrent layer or a standalone cell (class and config of `layer`).
CellSpec read_cell(const Layer& layer, const Json& config);
// The tracked cell of an RNN layer.
const Layer& rnn_cell(const Layer& rnn);
// The cell kind a recurrent layer or cell class has; throws for other classes.
CellKind cell_kind(const std::string& class_name);

// One pass of a cell over the sequence.
struct Direction {
  CellSpec cell;
  bool backwards = false;                   // go_backwards: the last step first
  std::vector<std::string> initial_states;  // (batch, units) each; empty: zeros
  // The step outputs come in processing order (what an RNN layer returns) unless this is set:
  // then reversed (what Bidirectional makes of its backward layer's output).
  bool reversed_processing_order = false;
  std::string scope;
};

struct DirectionResult {
  Value sequence;                   // every step's output, shape (batch, time, units) as Keras holds it
  std::string last;                 // the last step's output, (batch, units)
  std::vector<std::string> states;  // the final states, (batch, units) each
};

// Runs every direction over `x` (a Keras (batch, time, features) value) with Keras's `mask`
// (bool (batch, time), empty when none). `sequence_shape` is the Keras shape of one direction's
// step outputs.
std::vector<DirectionResult> run_recurrent(Conversion& c, const Value& x, const std::vector<Direction>& directions,
                                           const std::string& mask, const Shape& sequence_shape);

// The two forms (recurrent_native.cpp, recurrent_scan.cpp).
bool native_form_fits(const std::vector<Direction>& directions, const std::string& mask);
std::vector<DirectionResult> run_native(Conversion& c, const Value& x, const std::vector<Direction>& directions,
                                        const Shape& sequence_shape);
DirectionResult run_scan(Conversion& c, const Value& x, const Direction& direction, const std::string& mask,
                         const Shape& sequence_shape);

}  // namespace ksave::plugins::onnx_export
