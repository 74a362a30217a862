#include "cli_runner.hpp"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "support/test_data.hpp"

namespace ksave::test {
namespace {

std::string shell_quoted(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::vector<std::string> CliResult::err_lines() const {
  std::vector<std::string> lines;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

CliResult run_ksave(const std::vector<std::string>& args) {
  static const std::filesystem::path dir = scratch_dir("cli_runs");
  std::string command = shell_quoted(KSAVE_CLI_PATH), shown = "ksave";
  // Built by appending: GCC 12 reports a false -Wrestrict for `"literal" + std::string`.
  for (const auto& a : args) {
    command.append(" ").append(shell_quoted(a));
    shown.append(" ").append(a);
  }
  command.append(" </dev/null >").append(shell_quoted((dir / "out").string()));
  command.append(" 2>").append(shell_quoted((dir / "err").string()));
  const int raw = std::system(command.c_str());
  CliResult result;
  result.status = raw != -1 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  result.out = read_text(dir / "out");
  result.err = read_text(dir / "err");
  BOOST_TEST_MESSAGE("$ " << shown << " → exit " << result.status);
  return result;
}

}  // namespace ksave::test
