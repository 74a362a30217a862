// Attention (Luong-style, tf.keras.layers.Attention): inputs [query, value] or
// [query, value, key]; scores = query · keyᵀ ("dot", times `scale` with use_scale) or
// concat_score_weight * Σ tanh(scale? * (query + key)) ("concat"), softmax over the keys,
// output = softmax · value. Works on rank-3 (batch, steps, dim) and rank-2 (batch, dim) inputs; for
// rank 2 the keys are the other samples of the batch, so outputs depend on the batch (as in
// tf.keras). dropout applies to the scores in training only. A mask on value hides its steps;
// causal (Keras < 2.11 config key) hides future steps.
#include <limits>

#include "ksave/config.hpp"
#include "ksave/ops.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

class Attention : public Layer {
 public:
  explicit Attention(const Json& config) : Layer(config, "Attention") {
    ConfigReader r(config, describe());
    if (const Json* c = r.find("causal"); c && !c->is_null()) causal_ = c->get<bool>();
    dropout_ = r.get<double>("dropout", 0.0);
    use_scale_ = r.get<bool>("use_scale", false);
    score_mode_ = r.get<std::string>("score_mode", "dot");
    if (score_mode_ != "dot" && score_mode_ != "concat")
      throw Error(describe() + ": score_mode must be 'dot' or 'concat', found '" + score_mode_ + "'");
    has_score_mode_ = r.has("score_mode") || !r.has("causal");
    set_supports_masking(true);
  }

  std::string class_name() const override { return "Attention"; }

  Json get_config() const override {
    Json c = Layer::get_config();
    if (causal_) c["causal"] = *causal_;
    c["dropout"] = dropout_;
    c["use_scale"] = use_scale_;
    if (has_score_mode_) c["score_mode"] = score_mode_;
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    if (shapes.size() != 2 && shapes.size() != 3)
      throw Error(describe() + " takes [query, value] or [query, value, key], found " + std::to_string(shapes.size()) +
                  " inputs");
    auto ones = get_initializer("ones");
    if (use_scale_) scale_ = add_weight({"scale", {}, DType::Float32, ones, nullptr, nullptr, true});
    if (score_mode_ == "concat")
      concat_score_weight_ = add_weight({"concat_score_weight", {}, DType::Float32, ones, nullptr, nullptr, true});
  }

  Tensors call(const Tensors& inputs, const CallContext& ctx) override {
    if (inputs.size() != 2 && inputs.size() != 3)
      throw Error(describe() + " takes [query, value] or [query, value, key], found " + std::to_string(inputs.size()));
    const Tensor q = inputs[0].as_float(), v = inputs[1].as_float();
    const Tensor k = inputs.size() == 3 ? inputs[2].as_float() : v;
    if (q.rank() != k.rank() || (q.rank() != 2 && q.rank() != 3))
      throw Error(describe() + ": query and key must both be rank 2 or 3, found " + shape_to_string(q.shape()) +
                  " and " + shape_to_string(k.shape()));
    const bool batched = q.rank() == 3;
    Tensor scores;
    if (score_mode_ == "dot") {
      scores = batched ? ops::batch_matmul(q, k, false, true) : ops::matmul(q, k, false, true);
      if (scale_) scores = ops::mul(scores, scale_->value());
    } else {
      Tensor sum = ops::add(ops::expand_dims(q, -2), ops::expand_dims(k, -3));
      if (scale_) sum = ops::mul(sum, scale_->value());
      scores = ops::mul(ops::sum(ops::tanh(sum), {-1}), concat_score_weight_->value());
    }
    if (Tensor hide = padding(scores, ctx); hide.defined()) scores = ops::sub(scores, ops::mul(hide, 1e9));
    const Tensor weights = ops::softmax(scores, -1);
    Tensor out = batched ? ops::batch_matmul(weights, v) : ops::matmul(weights, v);
    // The query's mask zeroes its masked steps, as tf.keras does.
    if (!ctx.masks.empty() && ctx.masks[0].defined())
      out = ops::mul(out, ops::expand_dims(ctx.masks[0].cast(DType::Float32), -1));
    return {out};
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    Shape out = shapes.at(0);
    out.back() = shapes.at(1).back();
    return {out};
  }

 private:
  std::string describe() const { return "layer '" + name() + "' (Attention)"; }

  // 1 where a score must be hidden (masked value steps, future steps when causal), else 0;
  // undefined when nothing is hidden.
  Tensor padding(const Tensor& scores, const CallContext& ctx) const {
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

  std::optional<bool> causal_;
  double dropout_ = 0.0;
  bool use_scale_ = false;
  std::string score_mode_ = "dot";
  bool has_score_mode_ = true;
  VariablePtr scale_, concat_score_weight_;
};

void register_objects(PluginRegistrar& r) { r.layer<Attention>("Attention"); }

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("attention", "0.1.0", ksave::plugins::register_objects)
