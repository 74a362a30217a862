// Reading the files of a SavedModel folder: saved_model.pb (the SavedModel message) and
// keras_metadata.pb, with errors that name the folder and what is wrong in it.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "ksave_tf_saved_model.pb.h"

namespace ksave::plugins::savedmodel {

inline constexpr const char* kSavedModelFile = "saved_model.pb";
inline constexpr const char* kKerasMetadataFile = "keras_metadata.pb";
inline constexpr const char* kFingerprintFile = "fingerprint.pb";
inline constexpr const char* kVariablesDirectory = "variables";
inline constexpr const char* kVariablesStem = "variables";
inline constexpr const char* kAssetsDirectory = "assets";
inline constexpr const char* kServeTag = "serve";
inline constexpr const char* kServingSignature = "serving_default";

// 'path', for messages.
std::string quoted(const std::filesystem::path& path);

// `directory` / `relative`, refused with an Error (naming `what`, e.g. "asset file") when it
// leaves the SavedModel folder: an absolute path, a ".." component, or a symbolic link (the
// file's or a folder's on the way) that resolves outside. Hostile SavedModels use such names to
// make a reader open other files of the machine.
std::filesystem::path inside_folder(const std::filesystem::path& directory, const std::filesystem::path& relative,
                                    const std::string& what);

// "<dir>/variables/variables", its folder and files checked with inside_folder.
std::filesystem::path variables_prefix(const std::filesystem::path& directory);

// Reads and parses <directory>/saved_model.pb. Throws when the folder has no saved_model.pb, the
// file cannot be parsed, or it holds no MetaGraphDef. The message lives on an arena of pages
// mapped for it alone: parsed, a large model's functions take about ten times the file's size
// in many small objects, which the allocator would keep when freed (so a load's peak would be
// the weights plus the parse); the arena's pages go back to the system with the last reference.
std::shared_ptr<const tfproto::SavedModel> read_saved_model(const std::filesystem::path& directory);

// The MetaGraphDef TF2 loaders use: the single one that carries an object graph (the first with
// tag "serve" when there are several).
const tfproto::MetaGraphDef& main_meta_graph(const tfproto::SavedModel& saved_model, const std::filesystem::path& directory);

// <directory>/keras_metadata.pb when present (TF >= 2.5), parsed; throws when it is corrupt.
std::optional<tfproto::KerasSavedMetadata> read_keras_metadata(const std::filesystem::path& directory);

// The whole content of a small file (refuses anything above `limit` bytes).
std::string read_file_bytes(const std::filesystem::path& path, std::uintmax_t limit);

}  // namespace ksave::plugins::savedmodel
