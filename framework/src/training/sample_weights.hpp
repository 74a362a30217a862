// Keras's sample_weight and class_weight: checked against the data, combined into one weight per
// sample, and applied to a loss's per-sample values before its reduction.
#pragma once

#include <cstdint>
#include <string>

#include "ksave/op.hpp"
#include "ksave/training.hpp"

namespace ksave {

// One float32 weight per sample ([rows]) from sample_weight ([rows] or [rows, 1]) times the
// class weight of each target row; undefined when neither is given. `targets` are the model's
// targets (class_weight needs exactly one). `where` names the call for errors ("fit on model 'm'").
Tensor combined_sample_weights(const Tensor& sample_weight, const ClassWeights& class_weight,
                               const Tensors& targets, std::int64_t rows, const std::string& where);

// per_sample * weights, the weights broadcast over per_sample's trailing axes (a sequence
// output's time steps), as tf.keras's compute_weighted_loss does. Undefined weights: per_sample.
Tensor weight_per_sample(const Tensor& per_sample, const Tensor& weights);

}  // namespace ksave
