#include "layer_cell_steps.hpp"

namespace ksave::plugins::rnn {

std::vector<Shape> cell_step_shapes(Layer& cell, const Shape& input, const std::string& owner) {
  std::vector<Shape> shapes = cell.output_shapes({input});
  const std::string cell_name = "cell '" + cell.name() + "' (" + cell.class_name() + ") of " + owner;
  if (shapes.size() < 2)
    throw Error(cell_name + " must give its output and at least one state for an input " + shape_to_string(input) +
                ", found " + std::to_string(shapes.size()) + " shapes");
  for (const Shape& s : shapes)
    if (s.size() != 2 || s[1] < 0)
      throw Error(cell_name + " must give (batch, size) shapes for its output and states, found " + shape_to_string(s));
  return shapes;
}

const std::vector<Dim>& LayerCellSteps::sizes() const {
  if (!sizes_) {
    const auto& built_for = cell_->build_input_shapes();
    if (!built_for || built_for->empty()) throw Error(owner_ + ": its cell '" + cell_->name() + "' is not built");
    std::vector<Dim> sizes;
    for (const Shape& s : cell_step_shapes(*cell_, built_for->front(), owner_)) sizes.push_back(s[1]);
    sizes_ = std::move(sizes);
  }
  return *sizes_;
}

Dim LayerCellSteps::output_size() const { return sizes().front(); }

LayerCellSteps::StateSizes LayerCellSteps::state_sizes() const { return {sizes().begin() + 1, sizes().end()}; }

Tensors LayerCellSteps::step(const Tensor& x, const Tensors& states) const {
  Tensors inputs{x};
  inputs.insert(inputs.end(), states.begin(), states.end());
  return (*cell_)(inputs);
}

}  // namespace ksave::plugins::rnn
