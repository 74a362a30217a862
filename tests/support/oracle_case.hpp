// Reads a case written by the tfjs oracle (../shared/oracle, format keras-oracle-case/1):
// its model JSON, its weights (weights.json + a raw float32 file), inputs and outputs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ksave/json.hpp"
#include "ksave/model.hpp"
#include "ksave/tensor.hpp"

namespace ksave::test {

struct OracleWeight {
  std::string layer;
  std::string name;  // short Keras name: kernel, bias, gamma, ...
  Tensor value;
  bool trainable = true;
};

struct OracleCase {
  std::filesystem::path dir;
  Json info;  // case.json
  std::string model_json;
  Tensors inputs;
  Tensors outputs;
  double rtol = 1e-5;
  double atol = 1e-6;

  static OracleCase load(const std::filesystem::path& dir);
  // Weights from weights.json with another data file (step_K.weights.bin) or the default.
  std::vector<OracleWeight> weights(const std::string& data_file = "") const;
  // A raw little-endian float32 file of the case, reshaped.
  Tensor read_bin(const std::string& file, const Shape& shape) const;
  // Sets every weight of `model` by layer name and short weight name, checking shapes.
  void assign_weights(Model& model, const std::string& data_file = "") const;
};

// The names of the oracle's sample cases (folders of cases-sample with a case.json).
std::vector<std::filesystem::path> oracle_cases(const std::filesystem::path& oracle_dir);

}  // namespace ksave::test
