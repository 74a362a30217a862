// MultiHeadAttention: each EinsumDense projection as one MatMul (its kernel reshaped to 2-D) and
// a Reshape to (batch, steps, heads, size); scores = (query/√key_dim) · keyᵀ per head, minus 1e9
// where the attention mask (the call's attention_mask input, the Keras masks of query, value and
// key, the causal mask) hides them; Softmax; the weighted values back to (batch, steps, heads ·
// value_dim) and the output projection. As ksave's layer computes it; which input is which comes
// from the call's recorded kwargs, read as the layer reads them. GroupedQueryAttention is the same
// with its key/value heads repeated in place (Tile) to the query heads, its sliding_window band in
// the mask and, with use_gate, the sigmoid "gate" projection multiplying the attended values.
#include <cmath>

#include "../../layers/common/multi_head_call.hpp"
#include "converter.hpp"

namespace ksave::plugins::onnx_export {
namespace {

const Layer& sublayer(const Conversion& c, const std::string& attribute) {
  for (const auto& [name, layer] : c.layer().tracked_layers())
    if (name == attribute) return *layer;
  throw Error(c.describe() + ": no sublayer '" + attribute + "' (was the layer called?)");
}

// x (batch, steps, features) through the EinsumDense at `attribute`, as (batch, steps, rest...)
// with the kernel's trailing axes flattened into one: (batch, steps, heads · size) or (…, units).
std::string project(Conversion& c, const std::string& x, const std::string& attribute, std::size_t contracted) {
  const Layer& dense = sublayer(c, attribute);
  const VariablePtr kernel = find_layer_weight(dense, "kernel"), bias = find_layer_weight(dense, "bias");
  Dim rows = 1, columns = 1;
  for (std::size_t i = 0; i < kernel->shape().size(); ++i) (i < contracted ? rows : columns) *= kernel->shape()[i];
  const std::string matrix = c.weight_value(kernel, "2d", [&](const Tensor& t) { return t.reshape({rows, columns}); });
  std::string y = c.onnx.op("MatMul", {x, matrix}, c.hint(attribute));
  if (bias)
    y = c.onnx.op("Add", {y, c.weight_value(bias, "flat", [&](const Tensor& t) { return t.reshape({columns}); })},
                  c.hint(attribute));
  return y;
}

// (batch, steps, heads · size) → (batch, heads, steps, size)
std::string split_heads(Conversion& c, const std::string& x, Dim heads, Dim size) {
  return c.onnx.transpose(c.onnx.reshape(x, {0, 0, heads, size}, c.hint()), {0, 2, 1, 3}, c.hint());
}

std::string as_float(Conversion& c, const std::string& mask) { return c.onnx.cast(mask, DType::Float32, c.hint()); }

// 1 where query step i may attend to key step j, broadcastable to (batch, Tq, Tk); empty when
// every step may.
// A (1, Tq, Tk) constant of 1 where keeps(i, j).
template <typename Keeps>
std::string step_pairs(Conversion& c, const Value& query, const Value& key, const char* what, Keeps keeps) {
  const Dim rows = query.shape.at(1), cols = key.shape.at(1);
  if (rows < 0 || cols < 0) throw Error(c.describe() + ": the " + what + " mask is exported for known sequence lengths only");
  Tensor pairs(DType::Float32, {1, rows, cols});  // the batch axis broadcast
  for (Dim i = 0; i < rows; ++i)
    for (Dim j = 0; j < cols; ++j) pairs.data<float>()[i * cols + j] = keeps(i, j) ? 1.0f : 0.0f;
  return c.onnx.graph().constant(pairs, c.hint(what));
}

std::string attention_keep(Conversion& c, const multi_head::CallSlots& s, const Value& query, const Value& value,
                           const Value& key, std::int64_t sliding_window) {
  auto& onnx = c.onnx;
  std::string keep;
  auto combine = [&](const std::string& m) { keep = keep.empty() ? m : onnx.op("Mul", {keep, m}, c.hint()); };
  if (!query.mask.empty()) combine(onnx.unsqueeze(as_float(c, query.mask), {2}, c.hint()));
  if (!value.mask.empty()) combine(onnx.unsqueeze(as_float(c, value.mask), {1}, c.hint()));
  if (s.key >= 0 && !key.mask.empty()) combine(onnx.unsqueeze(as_float(c, key.mask), {1}, c.hint()));
  if (s.use_causal_mask) combine(step_pairs(c, query, key, "causal", [](Dim i, Dim j) { return i >= j; }));
  if (sliding_window > 0)
    combine(step_pairs(c, query, key, "sliding_window",
                       [&](Dim i, Dim j) { return (i > j ? i - j : j - i) < sliding_window; }));
  if (s.mask >= 0) {
    // Keras casts the mask to bool: any nonzero entry keeps.
    const std::string given = onnx.cast(onnx.in_keras_layout(c.input(s.mask)), DType::Bool, c.hint());
    std::string m = as_float(c, given);
    if (c.input(s.mask).rank() == 2) m = onnx.unsqueeze(m, {0}, c.hint());
    combine(m);
  }
  return keep;
}

// The head counts and sizes of the two classes.
struct Heads {
  Dim query_heads = 0, shared_heads = 0, key_dim = 0, value_dim = 0;
  std::int64_t sliding_window = 0;
  bool gate = false;
};

// (batch, shared heads, steps, size) → (batch, query heads, steps, size), each head repeated in
// place, as the layer's ops.repeat on the heads axis.
std::string repeat_heads(Conversion& c, const std::string& x, const Heads& h, Dim size) {
  if (h.query_heads == h.shared_heads) return x;
  const std::string tiled = c.onnx.op("Tile", {c.onnx.unsqueeze(x, {2}, c.hint()), c.onnx.ints({1, 1, h.query_heads / h.shared_heads, 1, 1})},
                                      c.hint());
  return c.onnx.reshape(tiled, {0, h.query_heads, -1, size}, c.hint());
}

std::vector<Value> attention_with_heads(Conversion& c, const Heads& h) {
  auto& onnx = c.onnx;
  const multi_head::CallSlots s = multi_head::call_slots(c.call.inputs.size(), &c.call.call_kwargs, c.describe());
  const Value& query = c.input(s.query);
  const Value& value = c.input(s.value);
  const Value& key = s.key >= 0 ? c.input(s.key) : value;
  if (query.rank() != 3 || value.rank() != 3 || key.rank() != 3)
    throw Error(c.describe() + ": query, value and key must be rank 3");
  const std::string query_in = onnx.float_in_layout(query, {});
  const std::string q = split_heads(c, project(c, query_in, "_query_dense", 1), h.query_heads, h.key_dim);
  const std::string k = repeat_heads(
      c, split_heads(c, project(c, onnx.float_in_layout(key, {}), "_key_dense", 1), h.shared_heads, h.key_dim), h, h.key_dim);
  const std::string v = repeat_heads(
      c, split_heads(c, project(c, onnx.float_in_layout(value, {}), "_value_dense", 1), h.shared_heads, h.value_dim), h,
      h.value_dim);
  const std::string scaled = onnx.op("Mul", {q, onnx.scalar(static_cast<float>(1.0 / std::sqrt(double(h.key_dim))))}, c.hint());
  std::string scores = onnx.op("MatMul", {scaled, onnx.transpose(k, {0, 1, 3, 2}, c.hint())}, c.hint());
  if (const std::string keep = attention_keep(c, s, query, value, key, h.sliding_window); !keep.empty()) {
    const std::string hide = onnx.op("Sub", {onnx.scalar(1.0f), keep}, c.hint());
    scores = onnx.op("Sub", {scores, onnx.op("Mul", {onnx.unsqueeze(hide, {1}, c.hint()), onnx.scalar(1e9f)}, c.hint())},
                     c.hint());
  }
  const std::string probabilities = onnx.op("Softmax", {scores}, c.hint(), {int_attr("axis", -1)});
  std::string attended = onnx.reshape(onnx.transpose(onnx.op("MatMul", {probabilities, v}, c.hint()), {0, 2, 1, 3}, c.hint()),
                                      {0, 0, h.query_heads * h.value_dim}, c.hint());
  if (h.gate)
    attended = onnx.op("Mul", {attended, onnx.op("Sigmoid", {project(c, query_in, "_gate_dense", 1)}, c.hint())}, c.hint());
  std::string out = project(c, attended, "_output_dense", 2);
  const Shape& out_shape = c.call.output_shapes.at(0);
  if (out_shape.size() > 3) {
    std::vector<std::int64_t> target{0, 0};
    target.insert(target.end(), out_shape.begin() + 2, out_shape.end());
    out = onnx.reshape(out, target, c.hint());
  }
  std::vector<Value> outputs{c.output(out)};
  if (s.return_attention_scores) outputs.push_back(c.output(probabilities, 1));
  return outputs;
}

std::vector<Value> multi_head_attention(Conversion& c) {
  const Dim heads = c.config().at("num_heads").get<Dim>();
  return attention_with_heads(
      c, {heads, heads, c.config().at("key_dim").get<Dim>(), c.config().at("value_dim").get<Dim>(), 0, false});
}

std::vector<Value> group_query_attention(Conversion& c) {
  const Json& config = c.config();
  const Dim head_dim = config.at("head_dim").get<Dim>();
  const Json window = config.value("sliding_window", Json());
  return attention_with_heads(c, {config.at("num_query_heads").get<Dim>(), config.at("num_key_value_heads").get<Dim>(), head_dim,
                                  head_dim, window.is_number_integer() ? window.get<std::int64_t>() : 0,
                                  config.value("use_gate", false)});
}

}  // namespace

void add_multi_head_attention_converter(ConverterTable& t) {
  t["MultiHeadAttention"] = {multi_head_attention, {}};
  t["GroupedQueryAttention"] = {group_query_attention, {}};
}

}  // namespace ksave::plugins::onnx_export
