// Reading a file that holds a Keras model as JSON: every generation's form (tf.keras / Keras 2
// to_json, Keras 1 lists, tfjs model.json bare or wrapped in modelTopology, Keras 3 config.json).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "ksave/json.hpp"

namespace ksave::plugins::json_format {

// Files larger than this are not model JSON (the largest real ones are a few MiB); the limit
// keeps a sniff or a load of a huge unrelated file from reading it all into memory.
inline constexpr std::uintmax_t kMaxModelJsonBytes = 256ull << 20;

// The parsed file. Throws naming the file: unreadable, too large, malformed (with the byte
// offset), not an object, or an object that is not a model.
Json read_model_json(const std::filesystem::path& path);

// The parsed file when it looks like a model JSON, nullopt otherwise; never throws.
std::optional<Json> try_read_model_json(const std::filesystem::path& path);

// Whether the json format takes this file: a model JSON; or a file named *.json that starts
// like a JSON object, so that a damaged or foreign one gets the json format's precise error
// (byte offset, keys found) rather than "no format recognizes it".
bool claims_file(const std::filesystem::path& path);

// True for {"class_name", "config"} or a tfjs artifact {"modelTopology": ...}.
bool is_model_json(const Json& value);

// The {"class_name", "config"} model inside the file's JSON (unwraps tfjs's modelTopology and
// its model_config).
const Json& model_part(const Json& value);
// The training_config stored beside the model, in Keras's form: tf.keras's, the tfjs
// converter's (in modelTopology) or tfjs's own "trainingConfig" (rewritten). Keras 3's
// compile_config is another structure and is not read. Null when absent.
Json training_config_part(const Json& value);
// keras_version / backend recorded in the file, or null.
Json keras_version_of(const Json& value);
Json backend_of(const Json& value);

}  // namespace ksave::plugins::json_format
