#include "formats.hpp"

#include "ksave/plugin_loader.hpp"
#include "ksave/registry.hpp"

namespace ksave::conformance {
namespace {

std::filesystem::path path_with_ending(const std::filesystem::path& dir, const std::string& stem, const Format& format,
                                       const std::string& ending) {
  return dir / (stem + "_" + format.name() + ending);
}

}  // namespace

std::vector<FormatPtr> registered_formats() {
  load_plugins();
  std::vector<FormatPtr> formats;
  for (const ClassRef& entry : Registry::global().entries(Kind::Format))
    formats.push_back(entry->as<FormatFactory>()());
  return formats;
}

std::string file_name_for(std::string registered_name) {
  for (char& c : registered_name)
    if (c == '>' || c == '/') c = '_';
  return registered_name;
}

bool saves_models(const Format& format) {
  return format.can(Capability::SaveModel) && format.can(Capability::LoadModel);
}

bool saves_weights(const Format& format) {
  return format.can(Capability::SaveWeights) && format.can(Capability::LoadWeights);
}

std::filesystem::path model_path(const std::filesystem::path& dir, const std::string& stem, const Format& format) {
  // A format that declares no model ending is picked by ".<its name>", unless it is the default.
  const FormatTraits traits = format.traits();
  if (!traits.model_endings.empty()) return path_with_ending(dir, stem, format, traits.model_endings.front());
  if (traits.default_for_models) return path_with_ending(dir, stem, format, "");
  // Appended rather than "." + name: GCC 12 warns (-Wrestrict, a known false positive) on that
  // operator+ once inlined here.
  std::string ending(".");
  ending += format.name();
  return path_with_ending(dir, stem, format, ending);
}

std::filesystem::path weights_path(const std::filesystem::path& dir, const std::string& stem, const Format& format) {
  const FormatTraits traits = format.traits();
  return path_with_ending(dir, stem, format, traits.weights_endings.empty() ? "" : traits.weights_endings.front());
}

}  // namespace ksave::conformance
