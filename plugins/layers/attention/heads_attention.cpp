#include "heads_attention.hpp"

#include "ksave/ops.hpp"

namespace ksave::plugins::attention {
namespace {

// (Tq, Tk) constant of 1 where `keeps(i, j)`, as (1, Tq, Tk).
template <typename Keeps>
Tensor step_pairs(Dim tq, Dim tk, Keeps keeps) {
  Tensor pairs(DType::Float32, {1, tq, tk});
  for (Dim i = 0; i < tq; ++i)
    for (Dim j = 0; j < tk; ++j) pairs.data<float>()[i * tk + j] = keeps(i, j) ? 1.0f : 0.0f;
  return pairs;
}

}  // namespace

Tensor attention_keep(const MultiHeadArguments& a, Dim batch, Dim tq, Dim tk, const std::string& object,
                      std::int64_t sliding_window) {
  Tensor keep;
  auto combine = [&](const Tensor& m) { keep = keep.defined() ? ops::mul(keep, m) : m; };
  // Keras casts masks to bool: any nonzero entry keeps.
  auto as_float = [](const Tensor& m) { return ops::cast(ops::cast(m, DType::Bool), DType::Float32); };
  if (a.query_mask.defined()) combine(ops::reshape(as_float(a.query_mask), {batch, tq, 1}));
  if (a.value_mask.defined()) combine(ops::reshape(as_float(a.value_mask), {batch, 1, tk}));
  if (a.key_mask.defined()) combine(ops::reshape(as_float(a.key_mask), {batch, 1, tk}));
  if (a.use_causal_mask) combine(step_pairs(tq, tk, [](Dim i, Dim j) { return i >= j; }));
  if (sliding_window > 0)
    combine(step_pairs(tq, tk, [&](Dim i, Dim j) { return (i > j ? i - j : j - i) < sliding_window; }));
  if (a.attention_mask.defined()) {
    const Tensor& m = a.attention_mask;
    const bool batched = m.rank() == 3;
    if ((m.rank() != 2 && m.rank() != 3) || m.dim(-2) != tq || m.dim(-1) != tk)
      throw Error(object + ": attention_mask expected shape (batch, " + std::to_string(tq) + ", " + std::to_string(tk) +
                  "), found " + shape_to_string(m.shape()));
    combine(batched ? as_float(m) : ops::expand_dims(as_float(m), 0));
  }
  return keep;
}

Tensor dropout_mask(const Shape& shape, double rate, std::mt19937_64& generator, std::mutex& mutex) {
  Tensor mask(DType::Float32, shape);
  const float keep_scale = static_cast<float>(1.0 / (1.0 - rate));
  std::lock_guard lock(mutex);
  std::uniform_real_distribution<float> uniform(0.f, 1.f);
  for (float& m : mask.values<float>()) m = uniform(generator) >= rate ? keep_scale : 0.f;
  return mask;
}

HeadsAttention attend_per_head(const Tensor& query, const Tensor& key, const Tensor& value, double scale,
                               const Tensor& keep, const std::function<Tensor(const Shape&)>& dropout) {
  // (batch, steps, heads, size) → (batch, heads, steps, size)
  const std::vector<std::int64_t> heads_first{0, 2, 1, 3};
  const Tensor q = ops::transpose(ops::mul(query, scale), heads_first);
  const Tensor k = ops::transpose(key, heads_first);
  const Tensor v = ops::transpose(value, heads_first);
  Tensor scores = ops::batch_matmul(q, k, false, true);  // (batch, heads, Tq, Tk)
  // Hidden pairs get −1e9: softmax gives them 0 unless a query step sees no key at all.
  if (keep.defined()) scores = ops::sub(scores, ops::mul(ops::expand_dims(ops::sub(Tensor::scalar(1.0f), keep), 1), 1e9));
  HeadsAttention out;
  out.probabilities = ops::softmax(scores, -1);
  const Tensor dropped = dropout ? ops::mul(out.probabilities, dropout(out.probabilities.shape())) : out.probabilities;
  out.output = ops::transpose(ops::batch_matmul(dropped, v), heads_first);  // (batch, Tq, heads, value size)
  return out;
}

}  // namespace ksave::plugins::attention
