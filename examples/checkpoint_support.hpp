// Helpers of the guide's TF checkpoint examples (checkpoint_*.cpp): where they write their
// files, the guide's MLP, and the guide's `w.assign(tf.random.normal(w.shape))`.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <random>

#include "guide_support.hpp"
#include "ksave/tf/checkpoint.hpp"

namespace guide {

// A fresh folder for one example's files ($KSAVE_TEST_TMP under CTest, else the temp folder).
inline std::filesystem::path work_dir(const std::string& example) {
  const char* base = std::getenv("KSAVE_TEST_TMP");
  std::filesystem::path dir = std::filesystem::path(base ? base : std::filesystem::temp_directory_path().string()) / example;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline ksave::LayerPtr dense(std::int64_t units, const std::string& name, const std::string& activation = "linear") {
  return ksave::make_layer("Dense", {{"units", units}, {"activation", activation}, {"name", name}});
}

// inputs = keras.Input(shape=(784,), name="digits"); dense_1, dense_2 (64, relu);
// predictions (Dense(output_units)); keras.Model(inputs, outputs, name=name)
inline ksave::ModelPtr digits_mlp(std::int64_t output_units, const std::string& name) {
  auto inputs = ksave::Input({784}, "digits");
  auto x = (*dense(64, "dense_1", "relu"))(inputs);
  x = (*dense(64, "dense_2", "relu"))(x);
  auto outputs = (*dense(output_units, "predictions"))(x);
  return std::make_shared<ksave::Functional>(ksave::KerasTensors{inputs}, ksave::KerasTensors{outputs}, name);
}

// for w in model.weights: w.assign(tf.random.normal(w.shape))
inline void randomize(const ksave::Layer& layer, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  for (const auto& w : layer.weights()) {
    std::vector<float> values(static_cast<std::size_t>(ksave::num_elements(w->shape())));
    for (auto& v : values) v = normal(rng);
    w->assign(ksave::Tensor::from_vector(values, w->shape()));
  }
}

inline bool same_values(const ksave::Tensor& a, const ksave::Tensor& b) {
  return a.shape() == b.shape() && a.to_vector<float>() == b.to_vector<float>();
}

}  // namespace guide
