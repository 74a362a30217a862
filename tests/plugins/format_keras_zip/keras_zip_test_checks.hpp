// Checks and inputs the `.keras` format suites share, header-only because they report through
// Boost.Test (each suite's own test module): error messages, deterministic inputs, weights
// compared bit for bit, a quiet fit.
#pragma once

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "keras_zip_test_support.hpp"
#include "ksave/model.hpp"
#include "ksave/serialization.hpp"
#include "support/error_checks.hpp"

namespace ksave::test::keras_zip {

inline void write_bytes(const std::filesystem::path& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Deterministic, varied values (a smooth wave, so every row differs).
inline Tensor wave(const Shape& shape, float phase) {
  std::vector<float> v(static_cast<std::size_t>(num_elements(shape)));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::cos(0.21f * static_cast<float>(i) + phase);
  return Tensor::from_vector(v, shape);
}

// Same variable names and values, in the same order.
inline bool same_weights(const Model& a, const Model& b) {
  auto wa = a.weights(), wb = b.weights();
  if (wa.size() != wb.size()) return false;
  for (std::size_t i = 0; i < wa.size(); ++i)
    if (wa[i]->name() != wb[i]->name() || !same_values(wa[i]->value(), wb[i]->value())) return false;
  return true;
}

inline FitOptions quiet_fit(int epochs) {
  FitOptions fit;
  fit.batch_size = 4;
  fit.epochs = epochs;
  fit.shuffle = false;
  fit.verbose = 0;
  return fit;
}

// Functional "outer": features (3) -> Sequential "encoder" (Dense 4 tanh, BatchNormalization)
// -> Dense "head" (2); returns the model and the nested Sequential.
inline std::pair<std::shared_ptr<Functional>, std::shared_ptr<Sequential>> nested_encoder_model() {
  auto inner = std::make_shared<Sequential>(
      std::vector<LayerPtr>{make_layer("InputLayer", {{"name", "inner_in"}, {"batch_input_shape", Json::array({nullptr, 3})}}),
                            make_layer("Dense", {{"name", "inner_dense"}, {"units", 4}, {"activation", "tanh"}}),
                            make_layer("BatchNormalization", {{"name", "inner_norm"}})},
      "encoder");
  KerasTensor in = Input({3}, "features");
  KerasTensor out = (*make_layer("Dense", {{"name", "head"}, {"units", 2}}))((*inner)(in));
  return {std::make_shared<Functional>(KerasTensors{in}, KerasTensors{out}, "outer"), inner};
}

}  // namespace ksave::test::keras_zip
