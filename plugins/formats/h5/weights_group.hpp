// The weights part of a Keras HDF5 file: `model_weights` of a whole-model file, or the root of
// a save_weights file. Layer groups are listed by `layer_names`; each names its datasets in
// `weight_names`, paths relative to the layer group (tf.keras's legacy weight order).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hdf5_handle.hpp"
#include "ksave/model.hpp"

namespace ksave::plugins::h5 {

struct StoredLayer {
  std::string name;
  std::vector<std::string> weight_names;
};

struct StoredWeights {
  Group group;
  std::string keras_version;  // "1" when the group has none (Keras 1 files)
  std::optional<std::string> backend;
  std::vector<StoredLayer> layers;      // in layer_names order
  std::optional<StoredLayer> top_level; // top_level_model_weights, when present
  // The dataset of weight `index` of `layer` (throws naming layer and weight when missing).
  Dataset dataset(const StoredLayer& layer, std::size_t index) const;
};

// Reads the listing (not the values). Throws when `layer_names` is missing or a listed layer
// group is absent.
StoredWeights read_weights_listing(const Group& group);

// The group holding weights: the root of a save_weights file, or its `model_weights` group.
Group weights_group_of(const File& file);

// tf.keras's save_weights_to_hdf5_group: layer_names, backend, keras_version, one group per
// layer of model.layers() with weight_names and datasets, and top_level_model_weights.
void write_weights_group(Group& group, const Model& model);

// `weight_names` listing the variables' names, and one dataset per variable at that name
// (`dense/kernel:0` → subgroup `dense`, dataset `kernel:0`). `owner` names them in errors.
// `floating_as`: the dtype the file stores the float32 weights in, for a layer whose Keras dtype
// is float16 / bfloat16 (ksave keeps its variables in float32); nothing: each variable's own.
void write_weight_list(Group& group, const std::vector<VariablePtr>& variables, const std::string& owner,
                       std::optional<DType> floating_as = std::nullopt);

}  // namespace ksave::plugins::h5
