#include "harness_support.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "child_process.hpp"
#include "ksave/error.hpp"

namespace ksave::reliability {
namespace fs = std::filesystem;

long setting(const char* name, long fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end) throw Error(std::string("$") + name + " must be a number, found '" + text + "'");
  return value;
}

std::string save_driver() {
  const char* driver = std::getenv("KSAVE_SAVE_DRIVER");
  if (!driver || !*driver) throw Error("$KSAVE_SAVE_DRIVER (the ksave_save_driver program) is not set");
  return driver;
}

namespace {

fs::path scratch_root() {
  const char* root = std::getenv("KSAVE_TEST_TMP");
  return (root && *root ? fs::path(root) : fs::temp_directory_path()) / "reliability";
}

}  // namespace

fs::path fresh_folder(const std::string& name) {
  const fs::path folder = scratch_root() / name;
  fs::remove_all(folder);
  fs::create_directories(folder);
  return folder;
}

fs::path log_file(const fs::path& target, const Version& version) {
  std::string name = target.string() + "-version-" + std::to_string(version.number) + ".stderr";
  for (char& c : name)
    if (c == '/') c = '_';
  const fs::path logs = scratch_root() / "logs";
  fs::create_directories(logs);
  return logs / name;
}

std::vector<std::string> driver_command(const SaveKind& kind, const fs::path& target, const Version& version) {
  return {save_driver(), kind.name, target.string(), std::to_string(version.number), std::to_string(version.megabytes)};
}

int run_driver(const SaveKind& kind, const fs::path& target, const Version& version,
               const std::vector<std::string>& environment, std::string& errors) {
  ChildProcess child(driver_command(kind, target, version), environment, log_file(target, version));
  const int status = child.wait();
  errors = child.error_output();
  return status;
}

void save_completely(const SaveKind& kind, const fs::path& target, const Version& version) {
  std::string errors;
  const int status = run_driver(kind, target, version, {}, errors);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error("saving version " + std::to_string(version.number) + " as " + kind.name + " failed (" +
                describe_status(status) + "): " + errors);
}

int harness_main(int argc, char** argv, const char* usage, int (*run)(const std::string& argument)) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s\n", usage);
    return 2;
  }
  try {
    return run(argv[1]);
  } catch (const std::exception& e) {
    std::printf("FAILED: %s\n", e.what());
    return 1;
  }
}

}  // namespace ksave::reliability
