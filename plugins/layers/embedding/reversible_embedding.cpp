// ReversibleEmbedding (Keras 3's keras.layers.ReversibleEmbedding): an Embedding that a call with
// reverse=True (recorded in the functional node's kwargs) runs backwards, projecting features
// (..., output_dim) onto logits (..., input_dim) with embeddingsᵀ (tie_weights) or its own
// reverse_embeddings (output_dim, input_dim), made with the embeddings' initializer, no
// regularizer or constraint, as Keras's build; then logit_soft_cap · tanh(logits /
// logit_soft_cap) when set. The forward call masks id 0 as Embedding's (mask_zero); the reverse
// call has no mask. reverse_dtype float16/bfloat16: features, kernel and logits are rounded to
// it, the product accumulated in float32 (the logits stay float32 tensors).
#include "embedding.hpp"
#include "ksave/ops.hpp"

namespace ksave::plugins::embedding {
namespace {

bool reverse_call(const CallContext& ctx) {
  return ctx.kwargs && ctx.kwargs->is_object() && ctx.kwargs->contains("reverse") &&
         (*ctx.kwargs)["reverse"].is_boolean() && (*ctx.kwargs)["reverse"].get<bool>();
}

class ReversibleEmbedding : public Embedding {
 public:
  explicit ReversibleEmbedding(const Json& config) : Embedding(config, "ReversibleEmbedding") {
    ConfigReader r(config, describe());
    tie_weights_ = r.get<bool>("tie_weights", true);
    reverse_dtype_ = r.get<Json>("reverse_dtype", nullptr);
    if (!reverse_dtype_.is_null()) {
      const std::string name = reverse_dtype_.is_string() ? reverse_dtype_.get<std::string>() : "";
      if (name == "float16") rounding_ = DType::Float16;
      else if (name == "bfloat16") rounding_ = DType::BFloat16;
      else if (name != "float32")
        throw Error(describe() + ": reverse_dtype expected None, \"float32\", \"float16\" or \"bfloat16\", found " +
                    reverse_dtype_.dump());
    }
    logit_soft_cap_ = r.get<Json>("logit_soft_cap", nullptr);
    if (!logit_soft_cap_.is_null() && (!logit_soft_cap_.is_number() || logit_soft_cap_.get<double>() <= 0))
      throw Error(describe() + ": logit_soft_cap expected None or a positive number, found " + logit_soft_cap_.dump());
  }

  std::string class_name() const override { return "ReversibleEmbedding"; }

  Json get_config() const override {
    Json c = Embedding::get_config();
    c["tie_weights"] = tie_weights_;
    c["reverse_dtype"] = reverse_dtype_;
    c["logit_soft_cap"] = logit_soft_cap_;
    return c;
  }

  // compute_mask does not see the call's arguments: a call whose input is floating with
  // output_dim features is taken for the reverse call, which has no mask (float ids of that
  // shape, which Keras casts, lose their mask_zero mask).
  Tensors compute_mask(const Tensors& inputs, const Tensors& masks, std::size_t output_count) const override {
    const bool reverse = !inputs.empty() && is_floating(inputs[0].dtype()) && inputs[0].rank() >= 1 &&
                         inputs[0].dim(-1) == output_dim_;
    return reverse ? Tensors(output_count) : Embedding::compute_mask(inputs, masks, output_count);
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    Embedding::build_impl(shapes);
    if (!tie_weights_)
      reverse_ = add_weight({"reverse_embeddings", {output_dim_, input_dim_}, DType::Float32, embeddings_initializer_, nullptr,
                             nullptr, true});
  }

  Tensors call(const Tensors& inputs, const CallContext& ctx) override {
    if (!reverse_call(ctx)) return Embedding::call(inputs, ctx);
    const Tensor features = inputs.at(0).as_float();
    if (features.rank() < 1 || features.dim(-1) != output_dim_)
      throw Error(describe() + ": the reverse call expected features (..., " + std::to_string(output_dim_) + "), found " +
                  shape_to_string(features.shape()));
    const Tensor kernel = tie_weights_ ? ops::transpose(embeddings_->value(), {1, 0}) : reverse_->value();
    Shape logits_shape = features.shape();
    logits_shape.back() = input_dim_;
    Tensor logits = ops::reshape(ops::matmul(rounded(ops::reshape(features, {-1, output_dim_})), rounded(kernel)), logits_shape);
    logits = rounded(logits);
    if (!logit_soft_cap_.is_null()) {
      const double cap = logit_soft_cap_.get<double>();
      logits = ops::mul(ops::tanh(ops::mul(logits, 1.0 / cap)), cap);
    }
    return {logits};
  }

  // Its output shape depends on the call's reverse argument: the default dry run of `call` sees it.
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    return Layer::compute_output_shape(shapes);
  }

 private:
  // x rounded to reverse_dtype (float16, bfloat16), as a float32 tensor; x itself otherwise.
  Tensor rounded(const Tensor& x) const {
    return rounding_ == DType::Float32 ? x : ops::cast(ops::cast(x, rounding_), DType::Float32);
  }

  bool tie_weights_ = true;
  Json reverse_dtype_, logit_soft_cap_;
  DType rounding_ = DType::Float32;
  VariablePtr reverse_;
};

}  // namespace

void register_reversible_embedding(PluginRegistrar& r) {
  // Keras 3's keys, in its order (Embedding's, then its own).
  r.layer<ReversibleEmbedding>("ReversibleEmbedding")
      .keras3_form(Keras3Form()
                       .keys({"name", "trainable", "dtype", "input_dim", "output_dim", "embeddings_initializer",
                              "embeddings_regularizer", "activity_regularizer", "embeddings_constraint", "mask_zero",
                              "quantization_config", "tie_weights", "reverse_dtype", "logit_soft_cap"})
                       .default_value("quantization_config", nullptr)
                       .dropped_when("input_length", nullptr));
}

}  // namespace ksave::plugins::embedding
