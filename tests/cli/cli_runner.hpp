// Runs the built `ksave` binary with arguments and captures its exit status and output.
#pragma once

#include <filesystem>
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

// A file's bytes ("" when it cannot be read).
std::string read_text(const std::filesystem::path& path);
bool contains(const std::string& text, const std::string& part);

}  // namespace ksave::test
