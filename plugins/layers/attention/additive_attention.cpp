// AdditiveAttention (Bahdanau-style, keras.layers.AdditiveAttention): scores =
// Σ_dim scale · tanh(query + key), `scale` a (dim,) weight (glorot_uniform, as Keras) when
// use_scale (the default), else plain Σ tanh(query + key).
#include "attention_base.hpp"
#include "ksave/ops.hpp"

namespace ksave::plugins::attention {
namespace {

class AdditiveAttention : public AttentionBase {
 public:
  explicit AdditiveAttention(const Json& config) : AttentionBase(config, "AdditiveAttention") {
    use_scale_ = ConfigReader(config, describe()).get<bool>("use_scale", true);
  }

  Json get_config() const override {
    Json c = AttentionBase::get_config();
    c["use_scale"] = use_scale_;
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    check_input_count(shapes.size());
    const Dim dim = shapes[0].empty() ? kUnknown : shapes[0].back();
    if (dim < 0)
      throw Error(describe() + " needs a query with a known last dimension, found " + shape_to_string(shapes[0]));
    if (use_scale_)
      scale_ = add_weight({"scale", {dim}, DType::Float32, get_initializer("glorot_uniform"), nullptr, nullptr, true});
  }

  Tensor scores(const Tensor& q, const Tensor& k) const override {
    Tensor t = ops::tanh(ops::add(ops::expand_dims(q, -2), ops::expand_dims(k, -3)));
    if (scale_) t = ops::mul(t, scale_->value());
    return ops::sum(t, {-1});
  }

 private:
  bool use_scale_ = true;
  VariablePtr scale_;
};

}  // namespace

void register_additive_attention(PluginRegistrar& r) {
  r.layer<AdditiveAttention>("AdditiveAttention")
      .keras3_form(Keras3Form().keys({"name", "trainable", "dtype", "use_scale", "dropout", "seed"}).default_value("seed", nullptr));
}

}  // namespace ksave::plugins::attention
