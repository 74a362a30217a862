// Helpers shared by the HDF5 format suites: listing a file's layout (groups, datasets, attributes
// with their types) for comparisons.
#pragma once

#include <filesystem>
#include <map>
#include <string>


namespace ksave::test::h5 {

// Every object and attribute of the file: "/model_weights/dense" → "group",
// "/model_weights/dense/dense/kernel:0" → "dataset float32 [8, 4]",
// "/model_weights@layer_names" → "attribute string 1-D" (string attributes also record
// "vlen"/"fixed" and the charset in `detailed` mode).
std::map<std::string, std::string> file_layout(const std::filesystem::path& path, bool detailed = false);

// The same keys with their contents: a string attribute's strings (one per line), a dataset's
// dtype, shape and raw bytes; other attributes and groups as file_layout describes them.
std::map<std::string, std::string> file_values(const std::filesystem::path& path);

}  // namespace ksave::test::h5
