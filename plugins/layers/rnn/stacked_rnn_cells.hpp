// StackedRNNCells: cells run one after the other at each step, each on the previous one's
// output, as one cell whose states are all the cells' states in order (Keras's flat order).
#pragma once

#include "ksave/layer.hpp"

namespace ksave::plugins::rnn {

class StackedRNNCells : public Layer {
 public:
  explicit StackedRNNCells(const Json& config);
  std::string class_name() const override { return "StackedRNNCells"; }
  Json get_config() const override;
  // tf.keras's object graph: cells/0, cells/1, ... (a list), where the Keras 3 archive files
  // them by class (cells/lstm_cell, cells/lstm_cell_1), as the tracked attributes say.
  std::vector<TrackableChild> trackable_children() const override;

 protected:
  void build_impl(const std::vector<Shape>& shapes) override;
  Tensors call(const Tensors& inputs, const CallContext& ctx) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override;

 private:
  std::string describe() const { return "layer '" + name() + "' (StackedRNNCells)"; }
  std::vector<LayerPtr> cells_;
  std::vector<std::size_t> state_counts_;  // per cell, from the build
};

}  // namespace ksave::plugins::rnn
