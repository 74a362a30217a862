// Telling Keras 3's weights layout from Keras 2's in a plain HDF5 file. Both formats use HDF5:
// Keras 2's save_weights writes a `layer_names` attribute at the root and one group per layer
// name; Keras 3's `model.save_weights("x.weights.h5")` writes the layout of a .keras archive's
// model.weights.h5 (`layers/<snake_case class>/vars/N`, `vars`, `optimizer/vars/N`) with no
// root attribute. The h5 and keras format plugins both ask this one question, so that exactly
// one of them claims any HDF5 file whatever order the plugins load in.
#pragma once

#include <filesystem>

namespace ksave::plugins::h5 {

// True for an HDF5 file whose root has no `layer_names` attribute and a `layers` or `vars`
// group. False for anything else, unreadable files included (the h5 format then reports why).
bool has_keras3_weights_layout(const std::filesystem::path& path);

}  // namespace ksave::plugins::h5
