// What the reliability harnesses share: their settings from the environment, the scratch
// folder, running the save driver to completion.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "versioned_model.hpp"

namespace ksave::reliability {

// An integer setting from the environment, `fallback` when unset (throws when not a number).
long setting(const char* name, long fallback);
// The save driver's path ($KSAVE_SAVE_DRIVER, set by CTest).
std::string save_driver();
// A fresh empty folder under $KSAVE_TEST_TMP (or the system's temporary folder).
std::filesystem::path fresh_folder(const std::string& name);
// Where a driver saving `version` at `target` writes its stderr: a logs folder of its own, so
// that the target's folder holds only what saves leave (and a full disk there loses no message).
std::filesystem::path log_file(const std::filesystem::path& target, const Version& version);
// The driver's command line to save `version` as `kind` at `target`.
std::vector<std::string> driver_command(const SaveKind& kind, const std::filesystem::path& target, const Version& version);
// Runs the driver to the end with `environment` added; its wait status, stderr in `errors`.
int run_driver(const SaveKind& kind, const std::filesystem::path& target, const Version& version,
               const std::vector<std::string>& environment, std::string& errors);
// Runs the driver and throws with its stderr unless the save completed.
void save_completely(const SaveKind& kind, const std::filesystem::path& target, const Version& version);

// The main() of a harness taking one argument: `run(argv[1])`'s exit status; a usage line (exit
// status 2) without exactly one argument; "FAILED: <what>" and exit status 1 on an exception.
int harness_main(int argc, char** argv, const char* usage, int (*run)(const std::string& argument));

}  // namespace ksave::reliability
