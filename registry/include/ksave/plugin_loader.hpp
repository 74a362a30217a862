// Finds and loads plugins. Search order: the directories in KSAVE_PLUGIN_PATH (':'-separated),
// then the plugin directory beside libksave in the build tree (<build>/plugins) and in an
// installation (<prefix>/lib/ksave/plugins). Files named ksave-plugin-*.so are plugins.
//
// A plugin is refused, with nothing registered, when its API version differs from the host's,
// when it was built against other SDK headers (its recorded fingerprint differs), when it registers a name already taken, or when its registration throws. Loaded libraries
// are never unloaded: objects and functions they made stay valid for the process's life.
#pragma once

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "ksave/class_entry.hpp"

namespace ksave {

struct PluginRecord {
  std::string path;
  std::string name;
  std::string version;
  std::uint32_t api_version = 0;
  std::string compiler;         // as the plugin's entry point records it (API version 3 on)
  std::string sdk_fingerprint;  // the hash of the SDK headers it was built against
  bool loaded = false;
  std::string refusal;  // why it was refused (empty when loaded)
  std::vector<std::string> registered;  // "layer Dense", "activation relu", ...
};

class Registry;

class PluginLoader {
 public:
  explicit PluginLoader(Registry& registry);
  ~PluginLoader();

  std::vector<std::filesystem::path> search_paths() const;
  // Loads every plugin in the search paths once (later calls return at once).
  void load_default_plugins();
  // Loads one file; returns its record (loaded or refused, never throws for a bad plugin).
  PluginRecord load(const std::filesystem::path& path);
  std::vector<PluginRecord> records() const;
  // "searched: dir1, dir2 (N plugins loaded, M refused)" for error messages.
  std::string search_summary() const;

 private:
  Registry& registry_;
  mutable std::recursive_mutex mutex_;
  std::once_flag defaults_once_;
  std::vector<PluginRecord> records_;
  struct Libraries;
};

// Loads the default plugins of the process registry (idempotent).
void load_plugins();

}  // namespace ksave
