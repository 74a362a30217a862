// Keras 3's weights layout as a whole (what `model.weights.h5` holds inside a .keras archive),
// and Keras 3's standalone weights files: `model.save_weights("x.weights.h5")` writes that same
// layout to a plain HDF5 file and `model.load_weights` reads it back, matched by layer path.
#pragma once

#include <filesystem>
#include <vector>

#include "hdf5_handle.hpp"
#include "ksave/format.hpp"
#include "variable_layout.hpp"

namespace ksave::plugins::keras_zip {

// The objects whose variables Keras 3 saves: the model and its layers, then the optimizer when
// `with_optimizer` and it has run (an optimizer that has not run holds nothing but its zero
// counter: nothing to resume, and Keras 3 writes no group for it either).
std::vector<VariableOwner> owners_to_save(const Model& model, bool with_optimizer);
// An in-memory HDF5 image of `owners` in Keras 3's layout; `name` is what messages call it.
std::vector<char> weights_image(const std::vector<VariableOwner>& owners, const std::filesystem::path& name);

// Keras 3's load_weights from an open weights file (of an archive or standalone): the model's
// variables matched by layer path, not order; with skip_mismatch a layer that does not fit
// keeps its values, with a warning naming `path`. by_name is refused (paths already match).
LoadStatus load_weights_from(const h5::Group& root, Model& model, const std::filesystem::path& path, const LoadOptions& options);

// Every `vars` group and its datasets (path, index, shape, dtype) and the number of model
// parameters (the optimizer's aside), for `ksave inspect`: {"variables": [...], "parameters": N}.
Json describe_weights(const h5::Group& root);
Json describe_weights_file(const std::filesystem::path& path);

// Keras 3's save_weights: `path` must end in `.weights.h5`, as Keras 3 requires. Atomic.
void save_weights_file(const Model& model, const std::filesystem::path& path, const SaveOptions& options);
LoadStatus load_weights_file(Model& model, const std::filesystem::path& path, const LoadOptions& options);

}  // namespace ksave::plugins::keras_zip
