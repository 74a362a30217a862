// Keras's cell protocol for any layer, so that RNN runs cells it knows nothing about (the
// built-in ones of other plugins, StackedRNNCells, a third party's): the cell is called on
// [x_t, states...] and returns [output, new states...]; its compute_output_shape for the step
// input alone, (batch, features), gives the output's shape followed by the states' shapes (the
// built-in cells do; a third-party cell overrides compute_output_shape so).
#pragma once

#include <optional>

#include "../rnn_common/recurrent.hpp"

namespace ksave::plugins::rnn {

class LayerCellSteps : public CellSteps {
 public:
  explicit LayerCellSteps(LayerPtr cell) : cell_(std::move(cell)) {}
  // Describes the RNN layer, for errors.
  void set_owner(std::string owner) { owner_ = std::move(owner); }
  Dim output_size() const override;
  StateSizes state_sizes() const override;
  // The cell projects its own input at each step.
  Tensor begin_sequence(const Tensor& x) override { return x; }
  Tensors step(const Tensor& x, const Tensors& states) const override;

 private:
  // The output and state sizes, read from the built cell once.
  const std::vector<Dim>& sizes() const;

  LayerPtr cell_;
  std::string owner_;
  mutable std::optional<std::vector<Dim>> sizes_;
};

// The shapes of `cell`'s outputs for a step input of `input` shape, each
// checked to be (batch, size): [output, state...]. `owner` describes the layer asking.
std::vector<Shape> cell_step_shapes(Layer& cell, const Shape& input, const std::string& owner);

}  // namespace ksave::plugins::rnn
