// Configs are JSON values with Keras's key names. ordered_json keeps insertion order so that a
// config written by ksave lists its keys in the order Keras writes them, and a config read from
// a file round-trips exactly.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ksave {
using Json = nlohmann::ordered_json;

// How deep JSON read from a file may nest. Configs are walked recursively (nested models,
// layers, initializers), which a hostile file nested thousands of levels deep would turn into a
// stack overflow; real Keras configs nest a few dozen levels.
inline constexpr int kMaxJsonDepth = 512;

// Parses JSON read from a file or an attribute. Malformed text, and text nested deeper than
// kMaxJsonDepth, throw an Error starting with `what` ("'model.json'", "attribute
// 'model_config' of '/' in 'model.h5'"), with the byte offset of the problem.
Json parse_json(std::string_view text, const std::string& what);
// Throws an Error starting with `what` when `value` (made by a program, not parsed) nests deeper
// than kMaxJsonDepth: the recursive readers of configs would overflow the stack on it.
void check_json_depth(const Json& value, const std::string& what);

}  // namespace ksave
