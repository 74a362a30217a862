#pragma once

#include "ksave/json.hpp"
#include "ksave/layer.hpp"

namespace ksave {
// Builds a layer from an already normalized {"class_name", "config"} entry (no unknown-class
// scan); model from_config functions use it for their layers.
LayerPtr layer_from_entry(const Json& entry);
// unknown_classes() for a config that normalize_config already rewrote.
std::vector<std::string> unknown_classes_in_normalized(const Json& value);
}  // namespace ksave
