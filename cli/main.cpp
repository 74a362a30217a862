// `ksave`: runs a model, trains it, converts and describes saved files, lists plugins.
// Exit status: 0 success, 1 a runtime error (one line "ksave: error: ..." on stderr), 2 a
// command-line mistake (with a usage hint).
#include <iostream>

#include "commands.hpp"
#include "ksave/plugin_loader.hpp"

namespace {

using ksave::cli::Command;

void print_overview(std::ostream& out) {
  out << "usage: ksave COMMAND [ARGS...]   (ksave COMMAND --help for its options)\n\ncommands:\n";
  for (const Command& c : ksave::cli::commands()) out << "  " << c.synopsis << "\n      " << c.summary << "\n";
}

// Library messages may span lines (summaries, lists); the contract is one line on stderr.
std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << "ksave: error: no command given\n";
    print_overview(std::cerr);
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_overview(std::cout);
    return 0;
  }
  const Command* command = ksave::cli::find_command(args[0]);
  if (!command) {
    std::cerr << "ksave: error: unknown command '" << args[0] << "'\n";
    print_overview(std::cerr);
    return 2;
  }
  args.erase(args.begin());
  try {
    return command->run(args);
  } catch (const ksave::cli::CommandLineError& e) {
    std::cerr << "ksave: error: " << one_line(e.what()) << "\nusage: ksave " << command->synopsis
              << "\nTry 'ksave " << command->name << " --help' for more information.\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "ksave: error: " << one_line(e.what()) << "\n";
    return 1;
  }
}
