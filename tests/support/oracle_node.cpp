#include "support/oracle_node.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sys/wait.h>

#include "ksave/json.hpp"
#include "support/test_data.hpp"

namespace ksave::test {
namespace fs = std::filesystem;
namespace {

// 'text' for /bin/sh, whatever it holds.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

fs::path installed_oracle() {
  const char* value = std::getenv("KSAVE_ORACLE_INSTALL");
  const fs::path dir = value && *value ? fs::path(value) : fs::path();
  if (dir.empty() || !fs::is_directory(dir / "node_modules")) {
    BOOST_ERROR("the tfjs oracle is not installed in '" << dir.string()
                << "' (CTest's tfjs_oracle fixture, tests/support/install_oracle.sh, installs it; run the test "
                   "through ctest, or set KSAVE_ORACLE_INSTALL)");
    return {};
  }
  return dir;
}

NodeRun run_oracle_script(const std::string& script, const std::vector<std::string>& arguments) {
  const fs::path dir = installed_oracle();
  if (dir.empty()) return {};
  const fs::path log = scratch_dir("node_log") / "output.txt";
  // Built by appending: "literal" + std::string&& trips GCC 12's -Wrestrict false positive.
  std::string command = "cd ";
  command += quoted(dir.string());
  command += " && node ";
  command += quoted(script);
  for (const auto& a : arguments) {
    command += ' ';
    command += quoted(a);
  }
  command += " > ";
  command += quoted(log.string());
  command += " 2>&1";
  const int raw = std::system(command.c_str());
  NodeRun run;
  run.status = raw != -1 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::ifstream in(log);
  run.output.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return run;
}

std::vector<fs::path> generate_oracle_cases(const fs::path& cases_file, const std::string& name) {
  const fs::path out = scratch_dir(name) / "cases";
  const NodeRun run = run_oracle_script("gen.mjs", {out.string(), "--cases", cases_file.string()});
  BOOST_TEST_MESSAGE("gen.mjs: " << run.output);
  BOOST_TEST_REQUIRE(run.status == 0, "gen.mjs failed on " << cases_file << ": " << run.output);
  std::ifstream in(out / "index.json");
  const Json index = Json::parse(in);
  std::vector<fs::path> cases;
  for (const Json& c : index.at("cases")) {
    BOOST_TEST(c.at("status") == "ok", c.dump());
    if (c.at("status") == "ok") cases.push_back(out / c.at("name").get<std::string>());
  }
  return cases;
}

}  // namespace ksave::test
