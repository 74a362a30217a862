// The registered formats as the kit uses them: which can hold a whole model or weights, and the
// path a save through each one gets (its own ending, so its traits pick it).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ksave/format.hpp"

namespace ksave::conformance {

std::vector<FormatPtr> registered_formats();
// A registered name as a file name ("MyPkg>Scaled" -> "MyPkg_Scaled").
std::string file_name_for(std::string registered_name);

bool saves_models(const Format& format);   // save_model and load_model
bool saves_weights(const Format& format);  // save_weights and load_weights

// dir/stem_<format><first ending> (no ending: a SavedModel folder, a checkpoint prefix).
std::filesystem::path model_path(const std::filesystem::path& dir, const std::string& stem, const Format& format);
std::filesystem::path weights_path(const std::filesystem::path& dir, const std::string& stem, const Format& format);

}  // namespace ksave::conformance
