// Attention (Luong style): scores = query · keyᵀ (times `scale`) or, with score_mode "concat",
// concat_score_weight · Σ tanh(scale · (query + key)); AdditiveAttention: Σ scale · tanh(query +
// key). Masked value steps and, when causal, future steps get -1e9 added; softmax over the keys;
// output = weights · value, zeroed where the query is masked. As ksave's layers compute it, for
// rank-3 and rank-2 inputs. MultiHeadAttention: converters_multi_head_attention.cpp.
#include "converter.hpp"

namespace ksave::plugins::onnx_export {
namespace {

std::vector<Value> attention(Conversion& c) {
  auto& onnx = c.onnx;
  const Value& query = c.input(0);
  const Value& value = c.input(1);
  const Value& key = c.call.inputs.size() > 2 ? c.input(2) : value;
  const bool batched = query.rank() == 3;
  const std::string q = onnx.float_in_layout(query, {}), v = onnx.float_in_layout(value, {}), k = onnx.float_in_layout(key, {});
  const VariablePtr scale = c.find_weight("scale");
  std::string scores;
  if (c.layer().class_name() == "AdditiveAttention") {
    std::string t = onnx.op("Tanh", {onnx.op("Add", {onnx.unsqueeze(q, {-2}, c.hint()), onnx.unsqueeze(k, {-3}, c.hint())}, c.hint())},
                            c.hint());
    if (scale) t = onnx.op("Mul", {t, c.weight_value(scale)}, c.hint());
    scores = onnx.reduce("ReduceSum", t, {-1}, false, c.hint());
  } else if (c.config().value("score_mode", std::string("dot")) == "concat") {
    std::string sum = onnx.op("Add", {onnx.unsqueeze(q, {-2}, c.hint()), onnx.unsqueeze(k, {-3}, c.hint())}, c.hint());
    if (scale) sum = onnx.op("Mul", {sum, c.weight_value(scale)}, c.hint());
    scores = onnx.op("Mul", {onnx.reduce("ReduceSum", onnx.op("Tanh", {sum}, c.hint()), {-1}, false, c.hint()),
                             c.weight_value(c.weight("concat_score_weight"))}, c.hint());
  } else {
    const std::string key_t = onnx.transpose(k, batched ? Perm{0, 2, 1} : Perm{1, 0}, c.hint());
    scores = onnx.op("MatMul", {q, key_t}, c.hint());
    if (scale) scores = onnx.op("Mul", {scores, c.weight_value(scale)}, c.hint());
  }
  // 1 where a score is hidden, else 0.
  std::string hide;
  if (!value.mask.empty()) {
    hide = onnx.op("Sub", {onnx.scalar(1.0f), onnx.cast(value.mask, DType::Float32, c.hint())}, c.hint());
    if (batched) hide = onnx.unsqueeze(hide, {1}, c.hint());
  }
  if (c.config().value("causal", false)) {
    const Dim rows = query.shape.at(query.rank() - 2), cols = key.shape.at(key.rank() - 2);
    if (rows < 0 || cols < 0) throw Error(c.describe() + ": causal attention is exported for known sequence lengths only");
    Tensor future(DType::Float32, {rows, cols});
    for (Dim i = 0; i < rows; ++i)
      for (Dim j = 0; j < cols; ++j) future.data<float>()[i * cols + j] = j > i ? 1.0f : 0.0f;
    const std::string f = onnx.graph().constant(future, c.hint("future"));
    hide = hide.empty() ? f : onnx.op("Max", {hide, f}, c.hint());
  }
  if (!hide.empty()) scores = onnx.op("Sub", {scores, onnx.op("Mul", {hide, onnx.scalar(1e9f)}, c.hint())}, c.hint());
  const std::string weights = onnx.op("Softmax", {scores}, c.hint(), {int_attr("axis", -1)});
  std::string out = onnx.op("MatMul", {weights, v}, c.hint());
  if (!query.mask.empty())
    out = onnx.op("Mul", {out, onnx.unsqueeze(onnx.cast(query.mask, DType::Float32, c.hint()), {-1}, c.hint())}, c.hint());
  return {c.output(out)};
}

}  // namespace

void add_attention_converters(ConverterTable& t) {
  t["Attention"] = {attention, {}};
  t["AdditiveAttention"] = {attention, {}};
  add_multi_head_attention_converter(t);
}

}  // namespace ksave::plugins::onnx_export
