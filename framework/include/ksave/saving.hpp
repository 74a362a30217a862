// Saving and loading, with the format chosen at run time: by explicit name; else by path as
// Keras does (.h5/.hdf5/.keras → HDF5 for a whole model, any other path → SavedModel; for
// weights .h5/.hdf5 → HDF5, else TF checkpoint); on load, by content, since real files lie about
// their extension (tf.keras 2.11 wrote HDF5 under .keras names).
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "ksave/format.hpp"
#include "ksave/model.hpp"

namespace ksave {

void save_model(const Model& model, const std::filesystem::path& path, const SaveOptions& options = {});
ModelPtr load_model(const std::filesystem::path& path, const LoadOptions& options = {});
void save_weights(const Model& model, const std::filesystem::path& path, const SaveOptions& options = {});
LoadStatus load_weights(Model& model, const std::filesystem::path& path, const LoadOptions& options = {});

// The registered format with this name (throws listing the available ones).
FormatPtr get_format(const std::string& name);
// The format that recognizes the file or folder by content (throws naming the path and what
// was found at its start).
FormatPtr detect_format(const std::filesystem::path& path);
// The format Keras would pick for a path when none is named.
std::string format_for_model_path(const std::filesystem::path& path);
std::string format_for_weights_path(const std::filesystem::path& path);

// Writes `path` atomically: holding the path's SaveLock (durable_files.hpp), `write` fills a
// temporary sibling (a file or a folder), which is fsynced and then replaces `path` in one step.
// A failed or interrupted write leaves the previous file or folder as it was; what a killed
// writer left behind is removed by the next write of the same path.
void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path& temporary)>& write);

}  // namespace ksave
