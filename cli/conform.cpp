// ksave conform PLUGIN.so: the conformance kit (conformance/) on one plugin. Every class it
// registers goes through the checks of its kind; the report has one line per class and check,
// and the exit status is 1 when any check failed (or the plugin registers nothing to check).
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "conformance.hpp"

namespace ksave::cli {
namespace {
namespace fs = std::filesystem;

int run(const Args& args);

const Command kConform{
    "conform", "conform PLUGIN.so [--json] [--write DIR] [--against DIR] [--scratch DIR]",
    "Checks every class a plugin registers: configs in every dialect, weights and optimizer state through every "
    "format, gradients, and (--against) the files an earlier release wrote with --write.",
    run};

// A folder of our own under the system's temporary folder, removed afterwards.
class ScratchFolder {
 public:
  explicit ScratchFolder(const std::string& given) {
    if (!given.empty()) {
      path_ = given;
      fs::create_directories(path_);
      return;
    }
    path_ = fs::temp_directory_path() / ("ksave-conform-" + std::to_string(::getpid()));
    fs::create_directories(path_);
    owned_ = true;
  }
  ~ScratchFolder() {
    std::error_code ignored;
    if (owned_) fs::remove_all(path_, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool owned_ = false;
};

int run(const Args& args) {
  po::options_description visible("options");
  visible.add_options()("json", "print the report as JSON")(
      "write", po::value<std::string>(), "also save each class's files into DIR, for the next release's --against")(
      "against", po::value<std::string>(), "also read the files an earlier release wrote into DIR with --write")(
      "scratch", po::value<std::string>(), "save the checks' files here (default: a temporary folder, removed)");
  po::options_description hidden;
  hidden.add_options()("PLUGIN", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("PLUGIN", 1);
  po::variables_map vm;
  if (!parse_command_line(kConform, args, visible, hidden, positional, vm)) return 0;
  require_option(vm, "PLUGIN");

  const ScratchFolder scratch(vm.count("scratch") ? vm["scratch"].as<std::string>() : "");
  conformance::ConformOptions options;
  options.plugin = vm["PLUGIN"].as<std::string>();
  options.scratch = scratch.path();
  if (vm.count("write")) options.write_dir = vm["write"].as<std::string>();
  if (vm.count("against")) options.against_dir = vm["against"].as<std::string>();
  const conformance::Report report = conformance::run_conformance(options);
  if (vm.count("json"))
    std::cout << pretty_json(report.json()) << "\n";
  else
    report.print(std::cout);
  return report.passed() ? 0 : 1;
}

[[maybe_unused]] const bool registered = register_command(kConform);

}  // namespace
}  // namespace ksave::cli
