#include "attention_base.hpp"

#include "ksave/ops.hpp"

namespace ksave::plugins::attention {

AttentionBase::AttentionBase(const Json& config, const char* class_name)
    : Layer(config, class_name), class_name_(class_name) {
  ConfigReader r(config, describe());
  if (const Json* c = r.find("causal"); c && !c->is_null()) causal_ = c->get<bool>();
  dropout_ = r.get<double>("dropout", 0.0);
  set_supports_masking(true);
}

Json AttentionBase::get_config() const {
  Json c = Layer::get_config();
  if (causal_) c["causal"] = *causal_;
  c["dropout"] = dropout_;
  return c;
}

void AttentionBase::check_input_count(std::size_t count) const {
  if (count != 2 && count != 3)
    throw Error(describe() + " takes [query, value] or [query, value, key], found " + std::to_string(count) +
                " inputs");
}

Tensors AttentionBase::call(const Tensors& inputs, const CallContext& ctx) {
  check_input_count(inputs.size());
  const Tensor q = inputs[0].as_float(), v = inputs[1].as_float();
  const Tensor k = inputs.size() == 3 ? inputs[2].as_float() : v;
  if (q.rank() != k.rank() || (q.rank() != 2 && q.rank() != 3))
    throw Error(describe() + ": query and key must both be rank 2 or 3, found " + shape_to_string(q.shape()) +
                " and " + shape_to_string(k.shape()));
  const bool batched = q.rank() == 3;
  Tensor s = scores(q, k);
  if (Tensor hide = padding(s, ctx); hide.defined()) s = ops::sub(s, ops::mul(hide, 1e9));
  const Tensor weights = ops::softmax(s, -1);
  Tensor out = batched ? ops::batch_matmul(weights, v) : ops::matmul(weights, v);
  // The query's mask zeroes its masked steps, as tf.keras does.
  if (!ctx.masks.empty() && ctx.masks[0].defined())
    out = ops::mul(out, ops::expand_dims(ctx.masks[0].cast(DType::Float32), -1));
  return {out};
}

std::vector<Shape> AttentionBase::compute_output_shape(const std::vector<Shape>& shapes) {
  check_input_count(shapes.size());
  Shape out = shapes.at(0);
  out.back() = shapes.at(1).back();
  return {out};
}

Tensor AttentionBase::padding(const Tensor& scores, const CallContext& ctx) const {
  Tensor hide;
  if (ctx.masks.size() > 1 && ctx.masks[1].defined()) {
    const Tensor keep = ctx.masks[1].cast(DType::Float32);
    hide = Tensor::filled(DType::Float32, keep.shape(), 1.0);
    for (std::int64_t i = 0; i < keep.size(); ++i) hide.data<float>()[i] -= keep.data<float>()[i];
    if (scores.rank() == 3) hide = hide.reshape({keep.dim(0), 1, keep.dim(1)});
  }
  if (causal_.value_or(false)) {
    const Dim rows = scores.dim(-2), cols = scores.dim(-1);
    Tensor future(DType::Float32, {rows, cols});
    for (Dim i = 0; i < rows; ++i)
      for (Dim j = 0; j < cols; ++j) future.data<float>()[i * cols + j] = j > i ? 1.0f : 0.0f;
    hide = hide.defined() ? ops::maximum(hide, future) : future;
  }
  return hide;
}

}  // namespace ksave::plugins::attention
