// LayerNormalization: per sample, over the axes in `axis` (int or list; default -1):
// y = (x - mean) / sqrt(var + epsilon) * gamma + beta, gamma and beta shaped like those axes.
#include <set>

#include "ksave/config.hpp"
#include "ksave/ops.hpp"
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
    center_ = r.get<bool>("center", true);
    scale_ = r.get<bool>("scale", true);
    beta_initializer_ = get_initializer(r.get<Json>("beta_initializer", "zeros"));
    gamma_initializer_ = get_initializer(r.get<Json>("gamma_initializer", "ones"));
    beta_regularizer_ = get_regularizer(r.get<Json>("beta_regularizer", nullptr));
    gamma_regularizer_ = get_regularizer(r.get<Json>("gamma_regularizer", nullptr));
    beta_constraint_ = get_constraint(r.get<Json>("beta_constraint", nullptr));
    gamma_constraint_ = get_constraint(r.get<Json>("gamma_constraint", nullptr));
    set_supports_masking(true);
  }

  std::string class_name() const override { return "LayerNormalization"; }

  Json get_config() const override {
    Json c = Layer::get_config();
    if (axis_list_) {
      c["axis"] = axes_;
    } else {
      c["axis"] = axes_[0];
    }
    c["epsilon"] = epsilon_;
    c["center"] = center_;
    c["scale"] = scale_;
    c["beta_initializer"] = serialize(beta_initializer_);
    c["gamma_initializer"] = serialize(gamma_initializer_);
    c["beta_regularizer"] = serialize(beta_regularizer_);
    c["gamma_regularizer"] = serialize(gamma_regularizer_);
    c["beta_constraint"] = serialize(beta_constraint_);
    c["gamma_constraint"] = serialize(gamma_constraint_);
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
    if (scale_)
      gamma_ = add_weight({"gamma", param_shape, DType::Float32, gamma_initializer_, gamma_regularizer_, gamma_constraint_, true});
    if (center_)
      beta_ = add_weight({"beta", param_shape, DType::Float32, beta_initializer_, beta_regularizer_, beta_constraint_, true});
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
  bool center_ = true, scale_ = true;
  InitializerPtr beta_initializer_, gamma_initializer_;
  RegularizerPtr beta_regularizer_, gamma_regularizer_;
  ConstraintPtr beta_constraint_, gamma_constraint_;
  VariablePtr gamma_, beta_;
  std::int64_t rank_ = 0;
  Shape broadcast_shape_;
};

void register_objects(PluginRegistrar& r) { r.layer<LayerNormalization>("LayerNormalization"); }

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("layer_normalization", "0.1.0", ksave::plugins::register_objects)
