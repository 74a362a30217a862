// The attention step MultiHeadAttention and GroupQueryAttention share, after their projections:
// which query step may see which key step (Keras's _compute_attention_mask), the scaled
// dot-product scores per head, softmax over the keys, dropout on the probabilities in training.
// Built from ksave's ops, so the tape differentiates it and a SavedModel trace computes masks
// from its inputs.
#pragma once

#include <functional>
#include <mutex>
#include <random>
#include <string>

#include "multi_head_arguments.hpp"

namespace ksave::plugins::attention {

// 1 where a query step may attend to a key step, (batch or 1, Tq, Tk); undefined when all may.
// Keras masks of query, value and key, use_causal_mask, the call's attention_mask and (Keras 3's
// GroupQueryAttention) a symmetric band |i − j| < sliding_window (0: none), combined with "and".
// `object` names the layer for errors.
Tensor attention_keep(const MultiHeadArguments& a, Dim batch, Dim tq, Dim tk, const std::string& object,
                      std::int64_t sliding_window = 0);

// Inverted dropout's mask of `shape`: 0 with probability `rate`, else 1/(1 − rate).
Tensor dropout_mask(const Shape& shape, double rate, std::mt19937_64& generator, std::mutex& mutex);

struct HeadsAttention {
  Tensor output;         // (batch, Tq, heads, value size)
  Tensor probabilities;  // (batch, heads, Tq, Tk), before dropout
};

// query (batch, Tq, heads, size) scaled by `scale`, key (batch, Tk, heads, size), value (batch,
// Tk, heads, value size); `keep` as attention_keep gives it; `dropout` (empty: none) draws the
// mask multiplying the probabilities of a given shape.
HeadsAttention attend_per_head(const Tensor& query, const Tensor& key, const Tensor& value, double scale,
                               const Tensor& keep, const std::function<Tensor(const Shape&)>& dropout);

}  // namespace ksave::plugins::attention
