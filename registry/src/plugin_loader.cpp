#include "ksave/plugin_loader.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include "ksave/plugin.hpp"
#include "ksave/registry.hpp"

namespace ksave {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPluginPrefix = "ksave-plugin-";

bool is_plugin_file(const fs::path& p) {
  std::string name = p.filename().string();
  return name.rfind(kPluginPrefix, 0) == 0 && p.extension() == ".so";
}

std::vector<std::string> describe(const std::vector<ClassEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries)
    out.push_back(std::string(kind_name(e.kind)) + " " + e.registered_name());
  return out;
}

}  // namespace

// Libraries stay loaded until the process ends (never unloaded, see the header): the list is
// reachable from a static pointer and never destroyed, so no static destructor can unload a
// library whose vtables or functions are still referenced by objects that outlive the loader.
struct PluginLoader::Libraries {
  static std::vector<boost::dll::shared_library>& all() {
    static auto* libraries = new std::vector<boost::dll::shared_library>();
    return *libraries;
  }
};

PluginLoader::PluginLoader(Registry& registry) : registry_(registry) {}

PluginLoader::~PluginLoader() = default;

std::vector<fs::path> PluginLoader::search_paths() const {
  std::vector<fs::path> paths;
  if (const char* env = std::getenv("KSAVE_PLUGIN_PATH")) {
    std::stringstream ss(env);
    std::string item;
    while (std::getline(ss, item, ':'))
      if (!item.empty()) paths.emplace_back(item);
  }
  // Beside libksave: <build>/lib/libksave.so → <build>/plugins; <prefix>/lib/libksave.so →
  // <prefix>/lib/ksave/plugins.
  fs::path lib_dir = boost::dll::this_line_location().parent_path().string();
  paths.push_back(lib_dir.parent_path() / "plugins");
  paths.push_back(lib_dir / "ksave" / "plugins");
  return paths;
}

void PluginLoader::load_default_plugins() {
  std::call_once(defaults_once_, [this] {
    std::set<std::string> seen;  // a file name found earlier in the path shadows later ones
    for (const auto& dir : search_paths()) {
      std::error_code ec;
      if (!fs::is_directory(dir, ec)) continue;
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.is_regular_file() && is_plugin_file(entry.path())) files.push_back(entry.path());
      std::sort(files.begin(), files.end());
      for (const auto& file : files)
        if (seen.insert(file.filename().string()).second) load(file);
    }
  });
}

PluginRecord PluginLoader::load(const fs::path& path) {
  std::lock_guard lock(mutex_);
  PluginRecord record;
  record.path = path.string();
  auto refuse = [&](std::string why) {
    // A refusal names the file, since records are reported away from the load (in the error
    // about a class or format the plugin would have registered).
    record.refusal = "plugin " + path.string() + " was refused: it " + why;
    records_.push_back(record);
    return record;
  };
  boost::dll::shared_library library;
  try {
    library.load(path.string(), boost::dll::load_mode::rtld_lazy | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return refuse(std::string("cannot be loaded: ") + e.what());
  }
  Libraries::all().push_back(library);
  if (!library.has(BOOST_PP_STRINGIZE(KSAVE_PLUGIN_ENTRY_SYMBOL)))
    return refuse("has no ksave_plugin_entry symbol (not built with KSAVE_PLUGIN)");
  const PluginInfo* info = nullptr;
  try {
    info = library.get_alias<const PluginInfo*()>(BOOST_PP_STRINGIZE(KSAVE_PLUGIN_ENTRY_SYMBOL))();
  } catch (const std::exception& e) {
    return refuse(std::string("has an entry point that failed: ") + e.what());
  }
  if (!info) return refuse("has an entry point that returned nothing");
  record.api_version = info->api_version;
  if (info->api_version != KSAVE_PLUGIN_API_VERSION)
    return refuse("was built for plugin API version " + std::to_string(info->api_version) +
                  ", this ksave has API version " + std::to_string(KSAVE_PLUGIN_API_VERSION));
  record.name = info->name ? info->name : "";
  record.version = info->version ? info->version : "";
  record.compiler = info->compiler ? info->compiler : "";
  record.sdk_fingerprint = info->sdk_fingerprint ? info->sdk_fingerprint : "";
  if (record.sdk_fingerprint != KSAVE_SDK_HEADER_FINGERPRINT)
    return refuse("was built against other ksave SDK headers (header fingerprint '" + record.sdk_fingerprint +
                  "', this ksave's is '" KSAVE_SDK_HEADER_FINGERPRINT "'; built with " + record.compiler +
                  ", this ksave with " KSAVE_PLUGIN_COMPILER KSAVE_PLUGIN_CXX_ABI
                  "): rebuild it against this ksave's installed SDK");
  PluginRegistrar registrar;
  try {
    info->register_objects(registrar);
  } catch (const std::exception& e) {
    return refuse(std::string("failed to register its objects: ") + e.what());
  }
  std::vector<ClassEntry> entries = registrar.entries();
  for (auto& e : entries) e.plugin = path.string();
  try {
    registry_.add_all(entries);
  } catch (const std::exception& e) {
    return refuse(std::string("registers what is taken: ") + e.what());
  }
  record.loaded = true;
  record.registered = describe(entries);
  records_.push_back(record);
  return record;
}

std::vector<PluginRecord> PluginLoader::records() const {
  std::lock_guard lock(mutex_);
  return records_;
}

std::string PluginLoader::search_summary() const {
  std::string dirs;
  for (const auto& p : search_paths()) dirs += (dirs.empty() ? "" : ", ") + p.string();
  std::size_t loaded = 0;
  std::string refusals;
  for (const auto& r : records()) {
    if (r.loaded) ++loaded;
    else refusals += "; " + r.refusal;
  }
  // The refusals in full: a refused plugin surfaces as an unknown class or format, and its
  // reason (a missing library, another API version) is what the reader needs.
  return "plugin paths searched: " + dirs + "; " + std::to_string(loaded) + " plugins loaded" +
         (refusals.empty() ? ", none refused" : refusals);
}

void load_plugins() { Registry::global().plugins().load_default_plugins(); }

}  // namespace ksave
