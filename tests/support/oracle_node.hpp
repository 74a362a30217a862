// Running the TensorFlow.js oracle's scripts (predict.mjs, gen.mjs) with node, from the copy that
// CTest's tfjs_oracle fixture installs in the build folder (tests/support/install_oracle.sh;
// $KSAVE_ORACLE_INSTALL names it). A test that runs the oracle is registered with
// ksave_test_runs_oracle() in CMake.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace ksave::test {

struct NodeRun {
  int status = -1;     // node's exit status
  std::string output;  // its stdout and stderr
};

// The installed oracle folder; fails the current test case (and returns "") when the fixture did
// not install it, since the oracle data was found (check oracle_dir() first).
std::filesystem::path installed_oracle();
// `node <script> <arguments...>` in the installed oracle folder.
NodeRun run_oracle_script(const std::string& script, const std::vector<std::string>& arguments);
// Generates the cases of `cases_file` (a case list shaped like the oracle's cases.mjs, kept in the
// repository) with the oracle's gen.mjs into a fresh folder named after `name`, and returns the
// case folders in the list's order. Fails the test case when gen.mjs fails or refuses a case.
std::vector<std::filesystem::path> generate_oracle_cases(const std::filesystem::path& cases_file, const std::string& name);

}  // namespace ksave::test
