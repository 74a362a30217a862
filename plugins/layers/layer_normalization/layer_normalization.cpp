// LayerNormalization: per sample, over the axes in `axis` (int or list; default -1):
// y = (x - mean) / sqrt(var + epsilon) * gamma + beta, gamma and beta shaped like those axes.
// The plugin also holds GroupNormalization and UnitNormalization (group_unit_normalization.cpp)
// and RMSNormalization (rms_normalization.cpp).
#include <set>

#include "affine_options.hpp"
#include "ksave/config.hpp"
#include "ksave/ops.hpp"
#include "ksave/conformance.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

class LayerNormalization : public Layer {
 public:
  explicit LayerNormalization(const Json& config) : Layer(config, "LayerNormalization") {
    ConfigReader r(config, describe());
    // get_config writes the axis back in the form it was given (an int or a list).
    const Json* axis = r.find("axis");
    axis_list_ = axis && axis->is_array();
    axes_ = r.int_list("axis", {-1});
    if (axes_.empty()) throw Error(describe() + ": axis must name at least one axis");
    epsilon_ = r.get<double>("epsilon", 1e-3);
    affine_ = AffineOptions::read(r);
    set_supports_masking(true);
  }

  std::string class_name() const override { return "LayerNormalization"; }
  // Keras creates its parameters with autocast=False and normalizes in float32 under a mixed policy.
  bool autocasts_variables() const override { return false; }

  Json get_config() const override {
    Json c = Layer::get_config();
    if (axis_list_) {
      c["axis"] = axes_;
    } else {
      c["axis"] = axes_[0];
    }
    c["epsilon"] = epsilon_;
    affine_.write(c);
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    if (shapes.size() != 1) throw Error(describe() + " takes one input, found " + std::to_string(shapes.size()));
    rank_ = static_cast<std::int64_t>(shapes[0].size());
    std::set<std::int64_t> normalized;
    for (std::int64_t a : axes_) {
      const std::int64_t axis = a < 0 ? a + rank_ : a;
      if (axis <= 0 || axis >= rank_ || shapes[0][static_cast<std::size_t>(axis)] < 0)
        throw Error(describe() + ": axis " + std::to_string(a) + " is not a known axis of input " +
                    shape_to_string(shapes[0]));
      normalized.insert(axis);
    }
    normalized_axes_.assign(normalized.begin(), normalized.end());
    Shape param_shape;
    broadcast_shape_.assign(static_cast<std::size_t>(rank_), 1);
    for (std::int64_t a : normalized_axes_) {
      param_shape.push_back(shapes[0][static_cast<std::size_t>(a)]);
      broadcast_shape_[static_cast<std::size_t>(a)] = shapes[0][static_cast<std::size_t>(a)];
    }
    if (affine_.scale) gamma_ = add_weight(affine_.gamma_spec(param_shape));
    if (affine_.center) beta_ = add_weight(affine_.beta_spec(param_shape));
  }

  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = inputs.at(0).as_float();
    const Tensor mean = ops::mean(x, normalized_axes_, true);
    const Tensor variance = ops::mean(ops::squared_difference(x, mean), normalized_axes_, true);
    Tensor inv = ops::rsqrt(ops::add(variance, epsilon_));
    if (gamma_) inv = ops::mul(inv, ops::reshape(gamma_->value(), broadcast_shape_));
    Tensor y = ops::mul(ops::sub(x, mean), inv);
    if (beta_) y = ops::add(y, ops::reshape(beta_->value(), broadcast_shape_));
    return {y};
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return {shapes.at(0)}; }

 private:
  std::string describe() const { return "layer '" + name() + "' (LayerNormalization)"; }

  std::vector<std::int64_t> axes_, normalized_axes_;
  bool axis_list_ = false;
  double epsilon_ = 1e-3;
  AffineOptions affine_;
  VariablePtr gamma_, beta_;
  std::int64_t rank_ = 0;
  Shape broadcast_shape_;
};

}  // namespace

void register_group_and_unit_normalization(PluginRegistrar& r);
void register_rms_normalization(PluginRegistrar& r);

namespace {

void register_objects(PluginRegistrar& r) {
  // Keras 3's LayerNormalization adds rms_scaling.
  r.layer<LayerNormalization>("LayerNormalization")
      .keras3_form(Keras3Form()
                       .keys({"name", "trainable", "dtype", "axis", "epsilon", "center", "scale", "rms_scaling",
                              "beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer",
                              "beta_constraint", "gamma_constraint"})
                       .default_value("rms_scaling", false));
  register_group_and_unit_normalization(r);
  register_rms_normalization(r);
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("layer_normalization", "0.1.0", ksave::plugins::register_objects)

// For the conformance kit: GroupNormalization's default 32 groups need 32 channels or more.
namespace {

ksave::Json conformance_samples() { return ksave::ConformanceSamples().layer("GroupNormalization", {{"groups", 2}}).json(); }

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
