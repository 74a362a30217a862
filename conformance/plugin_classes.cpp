#include "plugin_classes.hpp"

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/shared_library.hpp>

#include "ksave/conformance.hpp"
#include "ksave/error.hpp"
#include "ksave/plugin_loader.hpp"
#include "ksave/registry.hpp"

namespace ksave::conformance {
namespace fs = std::filesystem;
namespace {

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::equivalent(a, b, ec);
}

// The plugin's record: the default search may have loaded it already (an in-tree plugin, or one
// on KSAVE_PLUGIN_PATH); loading it a second time would refuse it for taking its own names.
PluginRecord record_for(const fs::path& file) {
  PluginLoader& loader = Registry::global().plugins();
  loader.load_default_plugins();
  for (const PluginRecord& r : loader.records())
    if (same_file(r.path, file)) return r;
  return loader.load(file);
}

Json exported_samples(const fs::path& file) {
  // dlopen of a loaded library returns the same handle: this reads the loaded plugin's symbol.
  boost::dll::shared_library library(file, boost::dll::load_mode::rtld_lazy | boost::dll::load_mode::rtld_local);
  const char* symbol = KSAVE_CONFORMANCE_SAMPLES_SYMBOL_NAME;
  if (!library.has(symbol)) return Json::object();
  const char* text = library.get_alias<const char*()>(symbol)();
  try {
    Json samples = Json::parse(text ? text : "{}");
    if (!samples.is_object()) throw Error("not a JSON object");
    return samples;
  } catch (const std::exception& e) {
    throw Error("plugin " + file.string() + ": its conformance samples (" + symbol +
                ") are not a JSON object of kinds: " + e.what());
  }
}

}  // namespace

PluginUnderTest load_plugin_under_test(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) throw Error("ksave conform: " + file.string() + " is no file");
  const PluginRecord record = record_for(file);
  if (!record.loaded)
    throw Error("ksave conform: " + (record.refusal.empty() ? "plugin " + file.string() + " was not loaded" : record.refusal));
  PluginUnderTest plugin;
  plugin.path = record.path;
  plugin.name = record.name;
  plugin.version = record.version;
  for (const ClassRef& entry : Registry::global().all_entries())
    if (same_file(entry->plugin, record.path)) plugin.classes.push_back(entry);
  plugin.samples = exported_samples(record.path);
  return plugin;
}

Json sample_for(const PluginUnderTest& plugin, Kind kind, const std::string& class_name) {
  const std::string kind_key(kind_name(kind));
  if (plugin.samples.contains(kind_key) && plugin.samples[kind_key].contains(class_name))
    return plugin.samples[kind_key][class_name];
  return Json{{"config", Json::object()}};
}

std::string declared_not_in_format(const Json& sample, const std::string& format) {
  if (!sample.contains("not_in_formats") || !sample["not_in_formats"].is_object()) return "";
  const Json& declared = sample["not_in_formats"];
  return declared.contains(format) ? declared[format].dump() : "";
}

}  // namespace ksave::conformance
