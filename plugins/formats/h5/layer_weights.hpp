// Matching stored layer weights to a model's layers, as tf.keras does:
//  - by order (load_weights_from_hdf5_group): the k-th stored layer that has weights goes to the
//    k-th model layer that has weights; names are ignored.
//  - by name (load_weights_from_hdf5_group_by_name): stored layers go to model layers of the same
//    name; others are reported.
// Every layer is checked (weight counts, shapes, numeric data) before any variable changes, so a
// failed load leaves the model as it was. Values are read straight into the variables' storage.
#pragma once

#include "ksave/format.hpp"
#include "variable_read.hpp"
#include "weights_group.hpp"

namespace ksave::plugins::h5 {

// `skip_mismatch`: weights whose shapes differ, and layers whose weight counts differ, are
// skipped with a warning instead of failing.
LoadStatus load_weights_by_order(const StoredWeights& stored, Model& model, bool skip_mismatch);
LoadStatus load_weights_by_name(const StoredWeights& stored, Model& model, bool skip_mismatch);

// Records a warning in `status` and prints it to stderr (what Keras logs).
void warn(LoadStatus& status, const std::string& message);

}  // namespace ksave::plugins::h5
