// Configs are JSON values with Keras's key names. ordered_json keeps insertion order so that a
// config written by ksave lists its keys in the order Keras writes them, and a config read from
// a file round-trips exactly.
#pragma once

#include <nlohmann/json.hpp>

namespace ksave {
using Json = nlohmann::ordered_json;
}  // namespace ksave
