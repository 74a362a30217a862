// Helpers of the MPI suites (label mpi), which run under `mpirun -np N` (tests/mpi/mpirun.sh):
// deterministic models and data, and whether
// the ranks hold bit-identical values.
#pragma once

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "ksave/data_parallel.hpp"
#include "ksave/model.hpp"
#include "ksave/mpi.hpp"
#include "ksave/ops.hpp"
#include "ksave/serialization.hpp"

namespace mpi_test {

using namespace ksave;

// Deterministic values in [-1, 1] (golden-ratio sequence).
inline Tensor sequence(Shape shape, int salt) {
  std::vector<float> v(static_cast<std::size_t>(num_elements(shape)));
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<float>(2.0 * std::fmod(0.618033988749895 * static_cast<double>(i + 1 + 13 * salt), 1.0) - 1.0);
  return Tensor::from_vector<float>(v, std::move(shape));
}

// One-hot targets of `classes` classes for `rows` rows.
inline Tensor one_hot_targets(Dim rows, Dim classes) {
  std::vector<float> v(static_cast<std::size_t>(rows * classes), 0.f);
  for (Dim r = 0; r < rows; ++r) v[static_cast<std::size_t>(r * classes + (r * 7 + r / 3) % classes)] = 1.f;
  return Tensor::from_vector<float>(v, {rows, classes});
}

// 6 → Dense 8 (relu, L2) → [BatchNormalization] → Dense 3 (softmax), deterministic weights.
inline ModelPtr classifier(bool batch_norm = false) {
  std::vector<LayerPtr> layers{Input({6}).layer(),
                               make_layer("Dense", {{"units", 8}, {"activation", "relu"},
                                                    {"kernel_regularizer", {{"class_name", "L2"}, {"config", {{"l2", 0.01}}}}}})};
  if (batch_norm) layers.push_back(make_layer("BatchNormalization", Json::object()));
  layers.push_back(make_layer("Dense", {{"units", 3}, {"activation", "softmax"}}));
  auto model = std::make_shared<Sequential>(layers);
  int k = 0;
  for (const auto& v : model->weights())
    if (v->trainable()) v->assign(ops::mul(sequence(v->shape(), 7 * k++), 0.5));
  return model;
}

inline std::vector<std::byte> bytes_of(const std::vector<VariablePtr>& variables) {
  std::vector<std::byte> out;
  for (const auto& v : variables) {
    const auto* p = static_cast<const std::byte*>(v->value().raw_data());
    out.insert(out.end(), p, p + v->value().nbytes());
  }
  return out;
}

// True on every rank when every rank holds exactly rank 0's bytes.
inline bool identical_on_every_rank(const std::vector<VariablePtr>& variables) {
  const std::vector<std::byte> mine = bytes_of(variables);
  const auto all = mpi::world()->allgather(std::string(reinterpret_cast<const char*>(mine.data()), mine.size()));
  for (const auto& other : all)
    if (other != all[0]) return false;
  return true;
}

}  // namespace mpi_test
