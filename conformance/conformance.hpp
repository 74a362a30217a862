// The conformance kit behind `ksave conform PLUGIN.so`: every class the plugin registers, built
// from its default config or the sample the plugin exports (ksave/conformance.hpp), through the
// checks of its kind (checks.hpp); optionally files for later releases written, or an earlier
// release's files read.
#pragma once

#include <filesystem>
#include <optional>

#include "report.hpp"

namespace ksave::conformance {

struct ConformOptions {
  std::filesystem::path plugin;
  std::filesystem::path scratch;                       // where the checks save their files
  std::optional<std::filesystem::path> write_dir;      // --write DIR
  std::optional<std::filesystem::path> against_dir;    // --against DIR
};

// Throws an Error when the plugin cannot be loaded; failing checks are in the report.
Report run_conformance(const ConformOptions& options);

}  // namespace ksave::conformance
