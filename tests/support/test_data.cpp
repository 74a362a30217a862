#include "support/test_data.hpp"

#include <cstdlib>
#include <random>

namespace ksave::test {
namespace fs = std::filesystem;
namespace {

// KSAVE_SOURCE_DIR is the source tree, compiled in by tests/CMakeLists.txt so that the default
// ../shared is found beside it whatever the working directory is.
fs::path default_shared(const char* sub) {
  return (fs::path(KSAVE_SOURCE_DIR) / ".." / "shared" / sub).lexically_normal();
}

// The folder `variable` names (default: `fallback`), joined with `sub`.
fs::path data_folder(const char* variable, const fs::path& fallback, const char* sub) {
  const char* value = std::getenv(variable);
  return (value && *value ? fs::path(value) : fallback) / sub;
}

fs::path fixtures_folder() { return data_folder("KSAVE_FIXTURES", default_shared("fixtures"), "real"); }
fs::path oracle_folder() { return data_folder("KSAVE_ORACLE", default_shared("oracle"), ""); }

std::optional<fs::path> if_present(const fs::path& folder) {
  if (!fs::is_directory(folder)) return std::nullopt;
  return folder;
}

bool under_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

std::vector<std::string>& skips() {
  static std::vector<std::string> list;
  return list;
}

}  // namespace

std::optional<fs::path> real_fixtures() { return if_present(fixtures_folder()); }
std::optional<fs::path> oracle_dir() { return if_present(oracle_folder()); }

void data_missing(const std::string& what) {
  const std::string where = "looked in " + fixtures_folder().string() + " and " + oracle_folder().string() +
                            "; set KSAVE_FIXTURES / KSAVE_ORACLE";
  if (under_ci()) {
    BOOST_ERROR(what << " not found under CI=true, where every real-file check must run (" << where << ")");
    return;
  }
  const std::string name = boost::unit_test::framework::current_test_case().p_name;
  skips().push_back(name + ": " + what);
  BOOST_TEST_MESSAGE("SKIPPED: " << what << " not found (" << where << ")");
}

const std::vector<std::string>& skipped_cases() { return skips(); }

fs::path scratch_dir(const std::string& name) {
  const char* base = std::getenv("KSAVE_TEST_TMP");
  fs::path root = base && *base ? fs::path(base) : fs::temp_directory_path() / "ksave-tests";
  fs::path dir = root / (name + "-" + std::to_string(std::random_device{}()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace ksave::test
