#pragma once

#include "ksave/json.hpp"
#include "ksave/layer.hpp"

namespace ksave {
// Builds a layer from an already normalized {"class_name", "config"} entry (no unknown-class
// scan); model from_config functions use it for their layers.
LayerPtr layer_from_entry(const Json& entry);
}  // namespace ksave
