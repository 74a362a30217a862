#include "ksave/saving.hpp"

#include <fstream>

#include "ksave/durable_files.hpp"

#include "ksave/collectives.hpp"
#include "ksave/plugin_loader.hpp"
#include "ksave/registry.hpp"

namespace ksave {
namespace fs = std::filesystem;

namespace {

std::string lower_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

// The registered format names, then where plugins were looked for and every refusal: a format
// plugin that was refused (a missing library, another API version) surfaces as an unknown
// format, and the refusal is what explains it.
std::string available_formats() {
  std::string names;
  for (const auto& e : Registry::global().entries(Kind::Format)) names += (names.empty() ? "" : ", ") + e->class_name;
  return (names.empty() ? "none (no format plugin was found)" : names) + "; " + Registry::global().plugins().search_summary();
}

FormatPtr require_capability(FormatPtr format, Capability capability, const std::string& what, const fs::path& path) {
  if (!format->can(capability))
    throw Error("format '" + format->name() + "' cannot " + what + " ('" + path.string() + "')");
  return format;
}

}  // namespace

FormatPtr get_format(const std::string& name) {
  ClassRef entry = Registry::global().find_registered(Kind::Format, name);
  if (!entry) throw Error("unknown format '" + name + "' (available: " + available_formats() + ")");
  return entry->as<FormatFactory>()();
}

FormatPtr detect_format(const fs::path& path) {
  if (!fs::exists(path)) throw Error("'" + path.string() + "' does not exist");
  for (const auto& e : Registry::global().entries(Kind::Format)) {
    FormatPtr f = e->as<FormatFactory>()();
    if (f->sniff(path)) return f;
  }
  std::string start;
  if (fs::is_regular_file(path)) {
    std::ifstream in(path, std::ios::binary);
    char buf[8] = {};
    in.read(buf, sizeof buf);
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%02x", static_cast<unsigned char>(buf[i]));
      start += hex;
    }
    start = " (it starts with bytes " + (start.empty() ? std::string("<empty file>") : start) + ")";
  } else if (fs::is_directory(path)) {
    start = " (a folder without saved_model.pb)";
  }
  throw Error("no format recognizes '" + path.string() + "'" + start + "; formats available: " + available_formats());
}

std::string format_for_model_path(const fs::path& path) {
  std::string ext = lower_extension(path);
  if (ext == ".h5" || ext == ".hdf5") return "h5";
  // Keras >= 2.13 and Keras 3 write a `.keras` path as their zip archive; HDF5 files that older
  // tf.keras saved under that name are still recognized by content on load.
  if (ext == ".keras") return "keras";
  if (ext == ".json") return "json";
  // An extension that names a registered format picks it (".onnx" → "onnx"): a format plugin
  // gets its own paths without the core knowing it.
  if (ext.size() > 1 && Registry::global().find_registered(Kind::Format, ext.substr(1))) return ext.substr(1);
  return "savedmodel";
}

std::string format_for_weights_path(const fs::path& path) {
  std::string ext = lower_extension(path);
  // Keras 3 writes `x.weights.h5` (the only weights name it accepts) in its own layout.
  if (path.filename().string().ends_with(".weights.h5")) return "keras";
  if (ext == ".h5" || ext == ".hdf5") return "h5";
  return "tf-checkpoint";
}

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
    // A checkpoint prefix is not a file itself: "ckpt" names ckpt.index and ckpt.data-*.
    FormatPtr f;
    if (fs::exists(path)) f = detect_format(path);
    else if (fs::exists(path.string() + ".index")) f = get_format("tf-checkpoint");
    else throw Error("no weights at '" + path.string() + "' (neither a file nor a checkpoint prefix with an .index)");
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
