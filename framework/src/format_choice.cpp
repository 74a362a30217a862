// Which registered format a path or a name stands for, from what each format declares about
// itself (FormatTraits, sniff, names_files_at): the core names no format.
#include <algorithm>
#include <fstream>

#include "ksave/plugin_loader.hpp"
#include "ksave/registry.hpp"
#include "ksave/saving.hpp"

namespace ksave {
namespace fs = std::filesystem;

namespace {

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

struct RegisteredFormat {
  FormatPtr format;
  FormatTraits traits;
};

// Every registered format with its traits, in content-recognition order: higher sniff priority
// first, then registration order.
std::vector<RegisteredFormat> registered_formats() {
  std::vector<RegisteredFormat> out;
  for (const auto& e : Registry::global().entries(Kind::Format)) {
    FormatPtr format = e->as<FormatFactory>()();
    FormatTraits traits = format->traits();
    out.push_back({std::move(format), std::move(traits)});
  }
  std::stable_sort(out.begin(), out.end(), [](const RegisteredFormat& a, const RegisteredFormat& b) {
    return a.traits.sniff_priority > b.traits.sniff_priority;
  });
  return out;
}

std::string available_formats() {
  std::string names;
  for (const auto& e : Registry::global().entries(Kind::Format)) names += (names.empty() ? "" : ", ") + e->class_name;
  return (names.empty() ? "none (no format plugin was found)" : names) + "; " +
         Registry::global().plugins().search_summary();
}

bool any_plugin_refused() {
  const auto records = Registry::global().plugins().records();
  return std::any_of(records.begin(), records.end(), [](const PluginRecord& r) { return !r.loaded; });
}

// Among the formats that can `write`, the one whose declared ending is the longest one `path`
// ends with; else the default one.
std::string format_by_ending(const fs::path& path, Capability write, std::vector<std::string> FormatTraits::*endings,
                             bool FormatTraits::*is_default, bool name_is_an_ending) {
  const std::string file = lowercase(path.filename().string());
  std::string chosen, fallback;
  std::size_t longest = 0;
  for (const auto& [format, traits] : registered_formats()) {
    if (!format->can(write)) continue;
    std::vector<std::string> own = traits.*endings;
    if (own.empty() && name_is_an_ending) {
      // Built by appending (GCC 12 reports a false -Wrestrict on "." + std::string temporaries).
      std::string ending = ".";
      ending += format->name();
      own.push_back(std::move(ending));
    }
    for (const auto& ending : own)
      if (ending.size() > longest && file.size() > ending.size() && file.ends_with(lowercase(ending))) {
        chosen = format->name();
        longest = ending.size();
      }
    if (traits.*is_default && fallback.empty()) fallback = format->name();
  }
  if (!chosen.empty()) return chosen;
  // An ending no loaded format declares while a plugin was refused is most likely that plugin's
  // (model.h5 without the h5 plugin): say so rather than write another format under that name.
  if (const std::string ending = path.extension().string(); ending.size() > 1 && any_plugin_refused())
    throw Error("unknown format '" + lowercase(ending.substr(1)) + "': no loaded format declares the ending '" + ending +
                "' of '" + path.string() + "' (available: " + available_formats() + ")");
  if (fallback.empty())
    throw Error("no format is declared for '" + path.string() + "' (formats available: " + available_formats() + ")");
  return fallback;
}

// " (it starts with bytes 89484446...)" for a file, so that an unrecognized file says what it is.
std::string describe_start(const fs::path& path) {
  if (fs::is_directory(path)) return " (a folder no format recognizes)";
  std::ifstream in(path, std::ios::binary);
  char buf[8] = {};
  in.read(buf, sizeof buf);
  std::string start;
  for (std::streamsize i = 0; i < in.gcount(); ++i) {
    char hex[4];
    std::snprintf(hex, sizeof hex, "%02x", static_cast<unsigned char>(buf[i]));
    start += hex;
  }
  return " (it starts with bytes " + (start.empty() ? std::string("<empty file>") : start) + ")";
}

}  // namespace

FormatPtr get_format(const std::string& name) {
  ClassRef entry = Registry::global().find_registered(Kind::Format, name);
  if (!entry) throw Error("unknown format '" + name + "' (available: " + available_formats() + ")");
  return entry->as<FormatFactory>()();
}

FormatPtr detect_format(const fs::path& path) {
  const bool exists = fs::exists(path);
  for (const auto& [format, traits] : registered_formats())
    if (exists ? format->sniff(path) : format->names_files_at(path)) return format;
  if (!exists)
    throw Error("'" + path.string() + "' does not exist (neither a file, a folder nor the prefix of a format's files " +
                "such as a TF checkpoint's; formats available: " + available_formats() + ")");
  throw Error("no format recognizes '" + path.string() + "'" + describe_start(path) + "; formats available: " +
              available_formats());
}

bool saved_data_exists(const fs::path& path) {
  if (fs::exists(path)) return true;
  const auto formats = registered_formats();
  return std::any_of(formats.begin(), formats.end(), [&](const RegisteredFormat& f) { return f.format->names_files_at(path); });
}

std::string format_for_model_path(const fs::path& path) {
  return format_by_ending(path, Capability::SaveModel, &FormatTraits::model_endings, &FormatTraits::default_for_models, true);
}

std::string format_for_weights_path(const fs::path& path) {
  return format_by_ending(path, Capability::SaveWeights, &FormatTraits::weights_endings, &FormatTraits::default_for_weights,
                          false);
}

}  // namespace ksave
