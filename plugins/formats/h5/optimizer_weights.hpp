// The `optimizer_weights` group: the optimizer's iteration counter and slots, as tf.keras's
// save_optimizer_weights_to_hdf5_group writes them and load_model restores them (positionally,
// after building the slots for the model's trainable weights).
#pragma once

#include <optional>
#include <string>

#include "hdf5_handle.hpp"
#include "ksave/model.hpp"
#include "ksave/optimizer.hpp"

namespace ksave::plugins::h5 {

void write_optimizer_weights(Group& root, const Optimizer& optimizer);

// Restores the model's optimizer state from root's `optimizer_weights`. Returns a warning when
// the stored state does not fit the optimizer (other count or shapes, another Keras generation's
// naming), in which case nothing is assigned; nullopt when restored.
std::optional<std::string> load_optimizer_weights(const Group& root, Model& model);

// Which Keras generation wrote these optimizer weight names (for messages and `inspect`).
std::string optimizer_weights_generation(const std::vector<std::string>& names);

}  // namespace ksave::plugins::h5
