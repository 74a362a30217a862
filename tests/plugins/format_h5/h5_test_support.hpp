// Helpers shared by the HDF5 format suites: listing a file's layout (groups, datasets, attributes
// with their types) for comparisons, and the stored bytes of files for the damage recipes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace ksave::test::h5 {

// Every object and attribute of the file: "/model_weights/dense" → "group",
// "/model_weights/dense/dense/kernel:0" → "dataset float32 [8, 4]",
// "/model_weights@layer_names" → "attribute string 1-D" (string attributes also record
// "vlen"/"fixed" and the charset in `detailed` mode).
std::map<std::string, std::string> file_layout(const std::filesystem::path& path, bool detailed = false);

// The same keys with their contents: a string attribute's strings (one per line), a dataset's
// dtype, shape and raw bytes; other attributes and groups as file_layout describes them.
std::map<std::string, std::string> file_values(const std::filesystem::path& path);

using Bytes = std::vector<char>;
Bytes read_bytes(const std::filesystem::path& path);
void write_bytes(const std::filesystem::path& path, const Bytes& bytes);
// The little-endian integer of `n` bytes at `at` (HDF5 stores every integer so), and its update.
std::uint64_t stored_integer(const Bytes& b, std::size_t at, std::size_t n);
void put_integer(Bytes& b, std::size_t at, std::size_t n, std::uint64_t v);
// The bytes of a one-Dense model ksave saves as h5 in `scratch` (model.h5): its keras_version,
// backend and model_config are variable-length strings, its layer group has weight_names.
Bytes small_model_file(const std::filesystem::path& scratch);

}  // namespace ksave::test::h5
