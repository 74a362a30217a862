// Runs the built `ksave` binary with arguments and captures its exit status and output.
#pragma once

#include <string>
#include <vector>

namespace ksave::test {

struct CliResult {
  int status = -1;
  std::string out;
  std::string err;
  // stderr's lines (without the final newline).
  std::vector<std::string> err_lines() const;
};

// `ksave` with these arguments (each quoted for the shell).
CliResult run_ksave(const std::vector<std::string>& args);

}  // namespace ksave::test
