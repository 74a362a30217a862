// ksave inspect: what a saved file or folder holds, as its format describes it.
#include <iostream>

#include "commands.hpp"
#include "ksave/saving.hpp"

namespace ksave::cli {
namespace {

int run(const Args& args);

const Command kInspect{"inspect", "inspect PATH [--json]",
                       "Describes a saved model, weights file, checkpoint or SavedModel (format found by content).",
                       run};

int run(const Args& args) {
  po::options_description visible("options");
  visible.add_options()("json", "print the description as JSON");
  po::options_description hidden;
  hidden.add_options()("PATH", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("PATH", 1);
  po::variables_map vm;
  if (!parse_command_line(kInspect, args, visible, hidden, positional, vm)) return 0;
  require_option(vm, "PATH");
  const std::filesystem::path path = vm["PATH"].as<std::string>();

  const Json description = read_untrusted(path, [&] {
    FormatPtr format = detect_format(path);
    if (!format->can(Capability::Inspect))
      throw Error("format '" + format->name() + "' of '" + path.string() + "' cannot describe its files");
    return format->inspect(path);
  });
  if (vm.count("json")) std::cout << pretty_json(description) << "\n";
  else print_description(std::cout, description);
  return 0;
}

[[maybe_unused]] const bool registered = register_command(kInspect);

}  // namespace
}  // namespace ksave::cli
