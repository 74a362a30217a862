// Helpers shared by the `.keras` (zip) format suites: looking inside an archive (entries and
// their compression, JSON entries, the layout and datasets of model.weights.h5) and building
// archives, damaged ones included; outputs are compared with support/compare.hpp.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "h5_test_support.hpp"
#include "ksave/json.hpp"
#include "ksave/tensor.hpp"

namespace ksave::test::keras_zip {

// Entry name → zip compression method (0 = stored, 8 = deflated), in archive order.
std::vector<std::pair<std::string, int>> entry_methods(const std::filesystem::path& archive);
std::vector<char> read_entry(const std::filesystem::path& archive, const std::string& name);
Json read_json_entry(const std::filesystem::path& archive, const std::string& name);

// Every dataset of model.weights.h5: "layers/dense/vars/0" → "float32 [784, 128]".
std::map<std::string, std::string> weights_layout(const std::filesystem::path& archive);
// The same for a standalone Keras 3 weights file (`x.weights.h5`, plain HDF5).
std::map<std::string, std::string> weights_file_layout(const std::filesystem::path& file);
// model.weights.h5 of `archive` copied out to `file` (Keras 3's save_weights writes the same).
void extract_weights(const std::filesystem::path& archive, const std::filesystem::path& file);
// One dataset of model.weights.h5.
Tensor read_weights_dataset(const std::filesystem::path& archive, const std::string& path);

// Writes an archive of these entries (stored, as Keras writes them; deflated when asked, as
// a user's re-zipped archive may be).
void write_archive(const std::filesystem::path& archive, const std::vector<std::pair<std::string, std::vector<char>>>& entries,
                   bool deflate = false);
std::vector<char> bytes_of(const std::string& text);

// Same dtype, shape and values (exact equality; the suites compare weights that were copied).
bool same_values(const Tensor& a, const Tensor& b);

// model.weights.h5 rebuilt from `archive`'s, with `edit` run on the in-memory copy's datasets
// map first: path → tensor (erase one to drop a dataset, change one's shape to damage it).
std::vector<char> edited_weights(const std::filesystem::path& archive,
                                 const std::function<void(std::map<std::string, Tensor>&)>& edit);

}  // namespace ksave::test::keras_zip
