// Attention (Luong-style, tf.keras.layers.Attention): scores = query · keyᵀ ("dot", times
// `scale` with use_scale) or concat_score_weight * Σ tanh(scale? * (query + key)) ("concat").
// dropout is read and written back; ksave does not drop attention weights in training.
#include "attention_base.hpp"
#include "ksave/ops.hpp"

namespace ksave::plugins::attention {
namespace {

class Attention : public AttentionBase {
 public:
  explicit Attention(const Json& config) : AttentionBase(config, "Attention") {
    ConfigReader r(config, describe());
    use_scale_ = r.get<bool>("use_scale", false);
    score_mode_ = r.get<std::string>("score_mode", "dot");
    if (score_mode_ != "dot" && score_mode_ != "concat")
      throw Error(describe() + ": score_mode must be 'dot' or 'concat', found '" + score_mode_ + "'");
    has_score_mode_ = r.has("score_mode") || !r.has("causal");
  }

  Json get_config() const override {
    Json c = AttentionBase::get_config();
    c["use_scale"] = use_scale_;
    if (has_score_mode_) c["score_mode"] = score_mode_;
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    check_input_count(shapes.size());
    auto ones = get_initializer("ones");
    if (use_scale_) scale_ = add_weight({"scale", {}, DType::Float32, ones, nullptr, nullptr, true});
    if (score_mode_ == "concat")
      concat_score_weight_ = add_weight({"concat_score_weight", {}, DType::Float32, ones, nullptr, nullptr, true});
  }

  Tensor scores(const Tensor& q, const Tensor& k) const override {
    if (score_mode_ == "dot") {
      Tensor s = q.rank() == 3 ? ops::batch_matmul(q, k, false, true) : ops::matmul(q, k, false, true);
      return scale_ ? ops::mul(s, scale_->value()) : s;
    }
    Tensor sum = ops::add(ops::expand_dims(q, -2), ops::expand_dims(k, -3));
    if (scale_) sum = ops::mul(sum, scale_->value());
    return ops::mul(ops::sum(ops::tanh(sum), {-1}), concat_score_weight_->value());
  }

 private:
  bool use_scale_ = false;
  std::string score_mode_ = "dot";
  bool has_score_mode_ = true;
  VariablePtr scale_, concat_score_weight_;
};

}  // namespace

void register_attention(PluginRegistrar& r) {
  r.layer<Attention>("Attention")
      .keras3_form(Keras3Form()
                       .keys({"name", "trainable", "dtype", "use_scale", "score_mode", "dropout", "seed"})
                       .default_value("seed", nullptr));
}

}  // namespace ksave::plugins::attention
