#include "support/test_data.hpp"

#include <cstdlib>
#include <random>

namespace ksave::test {
namespace fs = std::filesystem;

static std::optional<fs::path> dir_from_env(const char* variable, const char* sub) {
  const char* value = std::getenv(variable);
  if (!value || !*value) return std::nullopt;
  fs::path p = fs::path(value) / sub;
  if (!fs::is_directory(p)) return std::nullopt;
  return p;
}

std::optional<fs::path> real_fixtures() { return dir_from_env("KSAVE_FIXTURES", "real"); }
std::optional<fs::path> oracle_dir() { return dir_from_env("KSAVE_ORACLE", ""); }

fs::path scratch_dir(const std::string& name) {
  const char* base = std::getenv("KSAVE_TEST_TMP");
  fs::path root = base && *base ? fs::path(base) : fs::temp_directory_path() / "ksave-tests";
  fs::path dir = root / (name + "-" + std::to_string(std::random_device{}()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace ksave::test
