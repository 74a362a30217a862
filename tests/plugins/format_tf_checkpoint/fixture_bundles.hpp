// The real checkpoint fixtures: each case's bundle prefix and its expected/variables.json.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ksave/json.hpp"
#include "support/test_data.hpp"

namespace tf_fixtures {

struct BundleCase {
  std::string name;
  std::filesystem::path case_dir;
  std::filesystem::path prefix;
  ksave::Json listing;  // expected/variables.json
};

inline const char* const kCases[] = {
    "t2t_tf1_ckpt_two_shards",        "tfx_tf1_estimator_ckpt",
    "tf2onnx_tf1_ckpt_regression",    "tfrust_keras_single_input_saved_model",
    "tfrust_keras_multiple_inputs_saved_model", "tfnet_kerassm_lstm_from_sequential",
    "tfnet_kerassm_python_func_model", "tfserving_tf1_savedmodel_half_plus_two",
    "tfserving_tf2_savedmodel_half_plus_two"};

// Every case present under `real`, with the one `.index` file outside expected/.
inline std::vector<BundleCase> bundle_cases(const std::filesystem::path& real) {
  std::vector<BundleCase> out;
  for (const char* name : kCases) {
    BundleCase c{name, real / name, {}, {}};
    if (!std::filesystem::exists(c.case_dir)) continue;
    for (const auto& e : std::filesystem::recursive_directory_iterator(c.case_dir))
      if (e.path().extension() == ".index") c.prefix = std::filesystem::path(e.path()).replace_extension();
    std::ifstream in(c.case_dir / "expected" / "variables.json");
    c.listing = ksave::Json::parse(in);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace tf_fixtures
