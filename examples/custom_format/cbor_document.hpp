// The file of the "kcbor" format: one CBOR document (RFC 8949, written and read by nlohmann's
// json, which the SDK already brings), opened by CBOR's self-describe tag 55799 so that the
// content says what it is:
//   {"kcbor": 1, "model": <the model's Keras JSON config, or null for a weights file>,
//    "weights": [{"name", "dtype", "shape", "data": <raw little-endian bytes>}, ...]}
#pragma once

#include <filesystem>

#include "ksave/json.hpp"
#include "ksave/model.hpp"

namespace kcbor {

// `model`'s weights (and its config when `with_config`), written atomically to `path`.
void write_document(const ksave::Model& model, bool with_config, const std::filesystem::path& path);
// The document at `path`; throws a ksave::Error naming the file when it is none.
ksave::Json read_document(const std::filesystem::path& path);
// True when the file starts with the self-describe tag and holds a kcbor document.
bool is_document(const std::filesystem::path& path);
// Assigns the document's weights to `model`'s, in order; throws naming the file, the weight,
// what the model expects and what the file holds, and changes nothing on a mismatch.
void assign_weights(const ksave::Json& document, ksave::Model& model, const std::filesystem::path& path);

}  // namespace kcbor
