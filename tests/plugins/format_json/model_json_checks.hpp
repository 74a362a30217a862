// Helpers of the json format tests.
#pragma once

#include <filesystem>

#include "ksave/json.hpp"

namespace ksave::test {

// The JSON in a file (throws on a bad file; test data only).
Json read_json_file(const std::filesystem::path& path);

}  // namespace ksave::test
