// Saving and loading, with the format chosen at run time: by explicit name; else by path as
// Keras does, from the endings the formats declare (FormatTraits: .h5/.hdf5 → HDF5, .keras → the
// Keras 3 archive, any other path → SavedModel for a whole model; for weights .h5/.hdf5 → HDF5,
// else TF checkpoint); on load, by content, since real files lie about their extension
// (tf.keras 2.11 wrote HDF5 under .keras names).
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
// The format that recognizes the file or folder by content, or whose files a path that is no
// file names (a checkpoint prefix); throws naming the path and what was found at its start.
FormatPtr detect_format(const std::filesystem::path& path);
// True when a format's files are at `path`: a file, a folder or a prefix a format claims.
bool saved_data_exists(const std::filesystem::path& path);
// The format Keras would pick for a path when none is named, from the endings the formats
// declare (FormatTraits); a format that declares none is picked by ".<its name>" (".onnx").
std::string format_for_model_path(const std::filesystem::path& path);
std::string format_for_weights_path(const std::filesystem::path& path);

// Runs `read` (a read of an untrusted file) first in a forked child process, with a time limit
// (seconds; 0 for none), and returns when it finished there without an exception: the caller
// then reads for real. An exception in the child is thrown here with its message (UsageError
// kept apart); a crash (a signal, e.g. inside a third-party library such as libhdf5) or a read
// that outlives the limit becomes an Error naming `what` (and the child's last stderr output),
// and this process goes on. The file must not change between the check and the real read.
// Other threads of the caller do not exist in the child: a lock one of them held at the fork
// stays held there, and the time limit ends that child.
void check_in_child_process(const std::string& what, const std::function<void()>& read, double time_limit_seconds);

// `read()` of the file at `path`, checked first in a child process when
// options.check_in_child_process asks for it (what load_model and load_weights do).
void check_in_child_process(const std::filesystem::path& path, const LoadOptions& options,
                            const std::function<void()>& read);
template <typename Read>
auto read_checked(const std::filesystem::path& path, const LoadOptions& options, Read read) {
  if (options.check_in_child_process) check_in_child_process(path, options, [&] { read(); });
  return read();
}

// Writes `path` atomically: holding the path's SaveLock (durable_files.hpp), `write` fills a
// temporary sibling (a file or a folder), which is fsynced and then replaces `path` in one step.
// A failed or interrupted write leaves the previous file or folder as it was; what a killed
// writer left behind is removed by the next write of the same path.
void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path& temporary)>& write);

}  // namespace ksave
