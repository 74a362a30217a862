// Gradient clipping as tf.keras 2.x OptimizerV2 applies it before every update, in this order:
// clipvalue (each element into [-v, v]), clipnorm (each gradient scaled so its L2 norm is at most
// c, tf.clip_by_norm), global_clipnorm (all gradients scaled together, tf.clip_by_global_norm).
#pragma once

#include <optional>
#include <vector>

#include "ksave/tensor.hpp"

namespace ksave::optimizers {

struct ClipOptions {
  std::optional<float> clipvalue;
  std::optional<float> clipnorm;
  std::optional<float> global_clipnorm;
  bool any() const { return clipvalue || clipnorm || global_clipnorm; }
};

// Returns clipped float32 copies; the inputs are never modified. A non-finite global norm makes
// every gradient NaN, as tf.clip_by_global_norm does.
std::vector<Tensor> clip_gradients(const std::vector<Tensor>& gradients, const ClipOptions& options);

}  // namespace ksave::optimizers
