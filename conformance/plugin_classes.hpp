// The plugin under test: loaded (or found among the plugins already loaded), the classes it
// registered, and the samples it exports for the kit (ksave/conformance.hpp).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ksave/class_entry.hpp"
#include "ksave/json.hpp"

namespace ksave::conformance {

struct PluginUnderTest {
  std::string path;                // as the loader recorded it
  std::string name;
  std::string version;
  std::vector<ClassRef> classes;   // in registration order
  Json samples = Json::object();   // {"layer": {"Dense": {"config", "inputs"}}, ...}
};

// Throws an Error naming the file when it is no loadable plugin (with the loader's reason).
PluginUnderTest load_plugin_under_test(const std::filesystem::path& file);

// The sample the plugin gives for a class ({"config": {}} when it gives none).
Json sample_for(const PluginUnderTest& plugin, Kind kind, const std::string& class_name);

// The reason the sample gives why its class cannot be held by `format` ("" when it gives none):
// {"not_in_formats": {"keras": "Keras 3's hard_sigmoid is another function"}}.
std::string declared_not_in_format(const Json& sample, const std::string& format);

}  // namespace ksave::conformance
