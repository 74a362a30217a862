// Files of a plugin's previous release: `ksave conform PLUGIN --write DIR` saves a model of each
// class through every format that holds whole models (the format itself for a format class),
// with its inputs and outputs as .npy and a manifest.json; `--against DIR` reads them with this
// build and checks every class is still there and gives the same outputs.
#pragma once

#include <filesystem>

#include "plugin_classes.hpp"
#include "report.hpp"

namespace ksave::conformance {

void write_release_files(const PluginUnderTest& plugin, const std::filesystem::path& dir, Report& report);
void check_release_files(const PluginUnderTest& plugin, const std::filesystem::path& dir, Report& report);

}  // namespace ksave::conformance
