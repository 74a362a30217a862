// Helpers of the guide's TF checkpoint examples (checkpoint_*.cpp): the guide's
// `w.assign(tf.random.normal(w.shape))` (folders and the guide's MLP are in guide_support.hpp).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <random>

#include "guide_support.hpp"
#include "ksave/tf/checkpoint.hpp"

namespace guide {

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
