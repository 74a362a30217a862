// ksave plugins: where plugins are looked for, which loaded or were refused and why, what each
// registered; for given files, their entry points read from the "ksave" section without
// loading or running anything.
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

// std::filesystem paths for boost::dll, so the command needs no Boost.Filesystem library.
// (Boost 1.74's library_info.hpp uses std::vector without including it: included above.)
#define BOOST_DLL_USE_STD_FS
#include <boost/dll/library_info.hpp>

#include "commands.hpp"
#include "ksave/plugin_loader.hpp"
#include "ksave/registry.hpp"

namespace ksave::cli {
namespace {
namespace fs = std::filesystem;

int run(const Args& args);

const Command kPlugins{"plugins", "plugins [FILE...] [--json]",
                       "Lists the plugin search paths and the plugins found, loaded or refused, with what each "
                       "registers; with FILEs, lists their entry points without loading them.",
                       run};

// The symbols a file exports in section "ksave" (KSAVE_PLUGIN's entry point), read from the
// ELF headers only; an unreadable or foreign file yields a description of the problem.
Json entry_symbols(const fs::path& file) {
  try {
    boost::dll::library_info info(file);
    Json symbols = Json::array();
    for (const auto& s : info.symbols("ksave")) symbols.push_back(s);
    return symbols;
  } catch (const std::exception& e) {
    return std::string("unreadable: ") + e.what();
  }
}

Json describe_record(const PluginRecord& r) {
  Json j = Json::object();
  j["path"] = r.path;
  j["name"] = r.name;
  j["version"] = r.version;
  j["api_version"] = r.api_version;
  j["compiler"] = r.compiler;
  j["sdk_fingerprint"] = r.sdk_fingerprint;
  j["loaded"] = r.loaded;
  j["refusal"] = r.refusal;
  j["registered"] = r.registered;
  j["entry_symbols"] = entry_symbols(r.path);
  return j;
}

Json describe_all() {
  load_plugins();
  PluginLoader& loader = Registry::global().plugins();
  Json out = Json::object();
  out["search_paths"] = Json::array();
  for (const auto& p : loader.search_paths()) {
    std::error_code ec;
    out["search_paths"].push_back({{"path", p.string()}, {"exists", fs::is_directory(p, ec)}});
  }
  out["plugins"] = Json::array();
  for (const auto& r : loader.records()) out["plugins"].push_back(describe_record(r));
  // What libksave itself registers (InputLayer, the model classes), in the plugins' "kind Name"
  // form, so that a listing of every class needs no second source.
  out["core_registered"] = Json::array();
  for (const ClassRef& entry : Registry::global().all_entries())
    if (entry->plugin.empty())
      out["core_registered"].push_back(std::string(kind_name(entry->kind)) + " " + entry->registered_name());
  return out;
}

std::string joined(const Json& list) {
  if (!list.is_array()) return json_text(list);
  std::string text;
  for (const Json& item : list) text += (text.empty() ? "" : ", ") + json_text(item);
  return text.empty() ? "-" : text;
}

void print_all(const Json& all) {
  std::cout << "search paths:\n";
  for (const Json& p : all["search_paths"])
    std::cout << "  " << json_text(p["path"]) << (p["exists"].get<bool>() ? "" : "  (absent)") << "\n";
  std::vector<std::vector<std::string>> rows;
  std::size_t loaded = 0;
  for (const Json& p : all["plugins"]) {
    loaded += p["loaded"].get<bool>();
    rows.push_back({json_text(p["name"]).empty() ? "?" : json_text(p["name"]), json_text(p["version"]),
                    std::to_string(p["api_version"].get<std::uint32_t>()),
                    p["loaded"].get<bool>() ? "loaded" : "refused", fs::path(json_text(p["path"])).filename().string(),
                    joined(p["entry_symbols"])});
  }
  std::cout << "\nplugins: " << loaded << " loaded, " << all["plugins"].size() - loaded << " refused\n";
  print_table(std::cout, {"name", "version", "api", "status", "file", "entry"}, rows);
  for (const Json& p : all["plugins"]) {
    const std::string name = json_text(p["name"]).empty() ? json_text(p["path"]) : json_text(p["name"]);
    if (p["loaded"].get<bool>()) std::cout << "\n" << name << " registers: " << joined(p["registered"]) << "\n";
    else std::cout << "\n" << json_text(p["path"]) << " refused: " << json_text(p["refusal"]) << "\n";
  }
}

int run(const Args& args) {
  po::options_description visible("options");
  visible.add_options()("json", "print as JSON");
  po::options_description hidden;
  hidden.add_options()("FILE", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("FILE", -1);
  po::variables_map vm;
  if (!parse_command_line(kPlugins, args, visible, hidden, positional, vm)) return 0;

  if (!vm.count("FILE")) {
    const Json all = describe_all();
    if (vm.count("json")) std::cout << pretty_json(all) << "\n";
    else print_all(all);
    return 0;
  }
  Json files = Json::array();
  for (const auto& f : vm["FILE"].as<std::vector<std::string>>()) {
    if (!fs::is_regular_file(f)) throw Error("'" + f + "' is not a file");
    files.push_back({{"path", f}, {"entry_symbols", entry_symbols(f)}});
  }
  if (vm.count("json")) {
    std::cout << pretty_json(files) << "\n";
  } else {
    for (const Json& f : files) std::cout << json_text(f["path"]) << ": " << joined(f["entry_symbols"]) << "\n";
  }
  return 0;
}

[[maybe_unused]] const bool registered = register_command(kPlugins);

}  // namespace
}  // namespace ksave::cli
