#include "ksave/saving.hpp"

#include "ksave/durable_files.hpp"

#include "ksave/collectives.hpp"
#include "ksave/registry.hpp"

namespace ksave {
namespace fs = std::filesystem;

namespace {

FormatPtr require_capability(FormatPtr format, Capability capability, const std::string& what, const fs::path& path) {
  if (!format->can(capability))
    throw Error("format '" + format->name() + "' cannot " + what + " ('" + path.string() + "')");
  return format;
}

}  // namespace

void save_model(const Model& model, const fs::path& path, const SaveOptions& options) {
  std::string name = options.format.empty() ? format_for_model_path(path) : options.format;
  FormatPtr f = require_capability(get_format(name), Capability::SaveModel, "save whole models", path);
  // Under a multi-process CollectiveScope every rank calls this; rank 0 writes the file.
  run_on_chief("saving '" + path.string() + "' (" + f->name() + ")", [&] { f->save_model(model, path, options); });
}

ModelPtr load_model(const fs::path& path, const LoadOptions& options) {
  // Format detection opens the file too: it is part of the checked read.
  return read_checked(path, options, [&] {
    FormatPtr f = require_capability(detect_format(path), Capability::LoadModel, "load whole models", path);
    CustomObjectsArgument argument(options.custom_objects);
    // The file supplies the weights: no initializer runs for the ones it holds.
    DeferredInitialization deferred;
    return f->load_model(path, options);
  });
}

void save_weights(const Model& model, const fs::path& path, const SaveOptions& options) {
  std::string name = options.format.empty() ? format_for_weights_path(path) : options.format;
  FormatPtr f = require_capability(get_format(name), Capability::SaveWeights, "save weights", path);
  // Under a multi-process CollectiveScope every rank calls this: a format that writes shards
  // does its own collective work; any other is written by rank 0.
  if (f->can(Capability::ShardedSaveWeights) && current_multi_process_collectives())
    f->save_weights(model, path, options);
  else
    run_on_chief("saving weights '" + path.string() + "' (" + f->name() + ")", [&] { f->save_weights(model, path, options); });
}

LoadStatus load_weights(Model& model, const fs::path& path, const LoadOptions& options) {
  return read_checked(path, options, [&] {
    // A checkpoint prefix is not a file itself: "ckpt" names ckpt.index and ckpt.data-*, and the
    // format that claims it says so (Format::names_files_at).
    if (!saved_data_exists(path))
      throw Error("no weights at '" + path.string() + "' (neither a file nor the prefix of a format's files, such as a checkpoint's .index)");
    FormatPtr f = detect_format(path);
    return require_capability(f, Capability::LoadWeights, "load weights", path)->load_weights(model, path, options);
  });
}

void write_atomically(const fs::path& path, const std::function<void(const fs::path&)>& write) {
  const SaveLock lock(path);
  const fs::path temporary = lock.temporary();
  try {
    write(temporary);
    if (!fs::exists(fs::symlink_status(temporary)))
      throw Error("cannot save '" + path.string() + "': the writer produced nothing");
    sync_tree(temporary);
    replace_with(temporary, lock.target());
  } catch (...) {
    std::error_code ignore;
    fs::remove_all(temporary, ignore);
    // Writers name the temporary they failed on; the caller wants to hear about `path`.
    const std::string failed = "cannot save '" + path.string() + "': ";
    try {
      throw;
    } catch (const fs::filesystem_error& e) {
      throw Error(failed + e.code().message() + " ('" + e.path1().string() + "')");
    } catch (const UsageError&) {
      throw;  // the caller's mistake, not the disk's: as it was raised
    } catch (const Error& e) {
      if (std::string_view(e.what()).starts_with(failed)) throw;
      throw Error(failed + e.what());
    }
  }
}

}  // namespace ksave
