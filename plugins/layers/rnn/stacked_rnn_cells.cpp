#include "stacked_rnn_cells.hpp"

#include "../common/keras3_layer_list.hpp"
#include "ksave/config.hpp"
#include "ksave/serialization.hpp"
#include "ksave/sublayer_config.hpp"
#include "layer_cell_steps.hpp"

namespace ksave::plugins::rnn {

StackedRNNCells::StackedRNNCells(const Json& config) : Layer(config, "StackedRNNCells") {
  const Json cells = ConfigReader(config, describe()).require<Json>("cells");
  if (!cells.is_array() || cells.empty())
    throw Error(describe() + ": config key 'cells' expected a non-empty list of cells, found " + cells.dump());
  for (const Json& cell_config : cells) cells_.push_back(deserialize_layer(cell_config));
  // Keras 3's names: cells/lstm_cell, cells/lstm_cell_1, ...
  const std::vector<std::string> attributes = keras3_list_attributes("cells", cells_);
  for (std::size_t i = 0; i < cells_.size(); ++i) track(attributes[i], cells_[i]);
}

Json StackedRNNCells::get_config() const {
  Json c = Layer::get_config();
  Json cells = Json::array();
  for (const LayerPtr& cell : cells_) cells.push_back(serialize_sublayer(*cell));
  c["cells"] = cells;
  return c;
}

std::vector<TrackableChild> StackedRNNCells::trackable_children() const { return {tracked_layer_list("cells", cells_)}; }

void StackedRNNCells::build_impl(const std::vector<Shape>& shapes) {
  Shape input = shapes.at(0);
  state_counts_.clear();
  for (const LayerPtr& cell : cells_) {
    cell->build(input);
    const std::vector<Shape> out = cell_step_shapes(*cell, input, describe());
    state_counts_.push_back(out.size() - 1);
    input = out[0];
  }
}

Tensors StackedRNNCells::call(const Tensors& inputs, const CallContext& ctx) {
  std::size_t expected = 1;
  for (std::size_t n : state_counts_) expected += n;
  if (inputs.size() != expected)
    throw Error(describe() + " takes its input and " + std::to_string(expected - 1) + " states, found " +
                std::to_string(inputs.size()) + " tensors");
  CallContext inner;
  inner.training = ctx.training;
  Tensors states;
  Tensor x = inputs[0];
  auto next_state = inputs.begin() + 1;
  for (std::size_t i = 0; i < cells_.size(); ++i) {
    Tensors cell_inputs{x};
    const auto end = next_state + static_cast<std::ptrdiff_t>(state_counts_[i]);
    cell_inputs.insert(cell_inputs.end(), next_state, end);
    next_state = end;
    Tensors out = (*cells_[i])(cell_inputs, inner);
    x = out.at(0);
    states.insert(states.end(), out.begin() + 1, out.end());
  }
  Tensors result{x};
  result.insert(result.end(), states.begin(), states.end());
  return result;
}

std::vector<Shape> StackedRNNCells::compute_output_shape(const std::vector<Shape>& shapes) {
  Shape input = shapes.at(0);
  std::vector<Shape> states;
  for (const LayerPtr& cell : cells_) {
    std::vector<Shape> out = cell_step_shapes(*cell, input, describe());
    input = out[0];
    states.insert(states.end(), out.begin() + 1, out.end());
  }
  std::vector<Shape> result{input};
  result.insert(result.end(), states.begin(), states.end());
  return result;
}

}  // namespace ksave::plugins::rnn
