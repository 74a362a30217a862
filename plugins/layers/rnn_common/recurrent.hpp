// Shared by the recurrent layer plugins (SimpleRNN, LSTM, GRU, RNN, ConvLSTM): a cell interface and the RNN
// layer that runs a cell over time as tf.keras's RNN does (return_sequences, return_state,
// initial states as extra inputs, go_backwards, stateful, masks). Compiled into each plugin (this
// folder has no CMakeLists, so it is not a plugin of its own).
//
// The cell is a tracked sublayer named "cell" (weights "lstm/lstm_cell/kernel:0"), as in tf.keras,
// so checkpoints see the same object graph. Everything is written with ops: the autodiff tape
// differentiates through the time loop.
#pragma once

#include <optional>

#include <boost/container/small_vector.hpp>

#include "ksave/config.hpp"
#include "ksave/layer.hpp"
#include "ksave/ops.hpp"

namespace ksave::plugins::rnn {

// The keys every cell has, read with the Keras 1 spellings too (output_dim, inner_activation,
// init, inner_init, W/U/b_regularizer, dropout_W/U), and the keys only some cells have.
struct CellConfig {
  std::int64_t units = 0;
  bool filters = false;  // the units are ConvLSTM's filters
  Activation activation;
  std::optional<Activation> recurrent_activation;  // LSTM, GRU, ConvLSTM
  bool use_bias = true;
  InitializerPtr kernel_initializer, recurrent_initializer, bias_initializer;
  std::optional<bool> unit_forget_bias;  // LSTM, ConvLSTM
  RegularizerPtr kernel_regularizer, recurrent_regularizer, bias_regularizer;
  ConstraintPtr kernel_constraint, recurrent_constraint, bias_constraint;
  double dropout = 0.0, recurrent_dropout = 0.0;  // training only; ignored at inference
  std::optional<Json> implementation;             // LSTM, GRU (no effect on the numbers)
  std::optional<bool> reset_after;                // GRU

  struct Extras {
    bool recurrent_activation = false;
    const char* recurrent_activation_default = "sigmoid";  // tf-keras's ConvLSTM: hard_sigmoid
    bool unit_forget_bias = false;
    bool implementation = false;
    bool reset_after = false;
    bool filters = false;  // ConvLSTM: the units are its `filters` (no Keras 1 spellings)
  };
  static CellConfig read(const ConfigReader& r, const Extras& extras);
  // Writes the keys in tf.keras's order; `activity_regularizer` is the layer's own key, which
  // Keras places between bias_regularizer and kernel_constraint.
  void write(Json& config, const RegularizerPtr* activity_regularizer) const;
  // The key `units` is read and written under ("filters" for ConvLSTM).
  const char* units_key() const { return filters ? "filters" : "units"; }
};

// What RecurrentLayer's time loop needs of its cell: the built-in cells below implement it
// directly; the RNN plugin adapts any layer that follows Keras's cell protocol.
class CellSteps {
 public:
  // Held inline: the layer reads them on every call.
  using StateSizes = boost::container::small_vector<Dim, 4>;
  virtual ~CellSteps() = default;
  // The last dimension of the output and of each state (the cell is built).
  virtual Dim output_size() const = 0;
  virtual StateSizes state_sizes() const = 0;
  // The rank of the layer's input: (batch, time, features) for the dense cells; a convolutional
  // cell's has its spatial axes before the channels.
  virtual std::size_t input_rank() const { return 3; }
  // The shape of one step's output, or of a state whose last dimension is `size`, for a layer
  // input of `input_shape`: (batch, size) for the dense cells; a convolutional cell's keeps its
  // spatial axes (convolved).
  virtual Shape step_shape(const Shape& input_shape, Dim size) const { return {input_shape.at(0), size}; }
  // Called once per sequence before the steps: the input projection of every step at once
  // (x of (batch, time, features) → (batch, time, gates); a convolutional cell's keeps its
  // spatial axes), and any per-sequence preparation (slices of the recurrent kernel).
  virtual Tensor begin_sequence(const Tensor& x) = 0;
  // One step from the projected input of this step (batch, [spatial...,] gates) and the states;
  // returns the output followed by the new states.
  virtual Tensors step(const Tensor& projected, const Tensors& states) const = 0;
  // The whole sequence x (batch, time, features) in one fused op, forward in time and unmasked,
  // when the cell has one for its configuration: the output (the sequence, or the last step)
  // followed by the final states. Nothing when it has none; the layer then runs step by step.
  virtual std::optional<Tensors> run_fused(const Tensor& x, const Tensors& states, bool return_sequences) {
    return std::nullopt;
  }
};

class Cell : public Layer, public CellSteps {
 public:
  Cell(const std::string& name, const Json& layer_config, CellConfig config);
  const CellConfig& options() const { return options_; }
  std::int64_t units() const { return options_.units; }
  virtual std::size_t state_count() const { return 1; }
  Dim output_size() const override { return units(); }
  StateSizes state_sizes() const override { return StateSizes(state_count(), units()); }
  Json get_config() const override;

 protected:
  // inputs: [x_t, states...] — a cell called on its own, as keras.layers.LSTMCell is.
  Tensors call(const Tensors& inputs, const CallContext& ctx) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override;
  // Adds kernel (features, gates * units), recurrent_kernel (units, gates * units) and, with
  // use_bias, bias of `bias_shape` (the initializer may be replaced, e.g. unit_forget_bias).
  void add_standard_weights(std::int64_t features, std::int64_t gates, const Shape& bias_shape,
                            InitializerPtr bias_initializer = nullptr);
  // Columns [gate * units, (gate + 1) * units) of a 2-D tensor.
  Tensor gate(const Tensor& z, std::int64_t index) const;

  CellConfig options_;
  VariablePtr kernel_, recurrent_kernel_, bias_;
};

// A Keras RNN layer around `cell`.
class RecurrentLayer : public Layer {
 public:
  RecurrentLayer(const Json& config, const std::string& class_name, std::shared_ptr<Cell> cell);
  // Any cell layer, run through `steps` (which may be the cell itself).
  RecurrentLayer(const Json& config, const std::string& class_name, LayerPtr cell, std::shared_ptr<CellSteps> steps);
  std::string class_name() const override { return class_name_; }
  Json get_config() const override;
  // tf.keras's RNN: a list of one spec, [batch, time, features...] with the features fixed.
  std::optional<InputSpec> input_spec(const Shape& input_shape) const override;
  bool is_recurrent_layer() const override { return true; }
  Tensors compute_mask(const Tensors& inputs, const Tensors& masks, std::size_t output_count) const override;
  // Forgets the states a stateful layer keeps between calls.
  void reset_states() { kept_states_.clear(); }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override;
  Tensors call(const Tensors& inputs, const CallContext& ctx) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override;
  // The cell's part of the config: the fused layers (LSTM, ...) write their cell's keys in their
  // own config; RNN writes the serialized cell instead.
  virtual void write_cell_config(Json& config) const;
  const LayerPtr& cell_layer() const { return cell_; }
  const RegularizerPtr& activity_regularizer() const { return activity_regularizer_; }

 private:
  Tensors initial_states(const Tensors& inputs, const Shape& input_shape) const;
  // The layer's results from the cell's output and final states (stateful kept states, activity
  // regularizer, return_state).
  Tensors finish(const Tensor& output, const Tensors& states, Dim batch);
  std::string describe() const { return "layer '" + name() + "' (" + class_name_ + ")"; }
  // The input the layer takes, for errors: "shape (batch, time, features)" for the dense cells.
  std::string input_description() const;

  std::string class_name_;
  LayerPtr cell_;
  std::shared_ptr<CellSteps> steps_;
  bool return_sequences_ = false, return_state_ = false, go_backwards_ = false, stateful_ = false;
  bool unroll_ = false, time_major_ = false;
  bool zero_output_for_mask_ = false;  // masked steps output zeros instead of the last output
  RegularizerPtr activity_regularizer_;
  Tensors kept_states_;  // stateful layers: the final states of the last call
};

// CuDNNLSTM / CuDNNGRU (Keras 2.0-2.3, tf.compat.v1.keras.layers) are the LSTM and GRU that cuDNN
// computes: tanh and sigmoid, always a bias, GRU with reset_after. Their configs have none of
// these keys; this sets them, so that the layers load as LSTM / GRU (the HDF5 format converts
// their stored weights as Keras's _convert_rnn_weights does).
Json cudnn_layer_config(Json config, bool is_gru);

}  // namespace ksave::plugins::rnn
