// GroupNormalization and UnitNormalization (the layer_normalization plugin's other classes).
// GroupNormalization splits the channel axis into `groups` and normalizes each sample's group
// over its channels and every other non-batch axis, then applies the per-channel gamma and beta:
// the input is reshaped to [..., groups, channels / groups] around the statistics, as tf-keras.
// UnitNormalization divides by the L2 norm over `axis`, rsqrt(max(Σx², 1e-12)) as
// tf.math.l2_normalize and Keras 3's layer compute it.
#include <algorithm>
#include <set>

#include "affine_options.hpp"
#include "ksave/config.hpp"
#include "ksave/ops.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

std::int64_t positive_axis(std::int64_t axis, std::size_t rank) { return axis < 0 ? axis + static_cast<std::int64_t>(rank) : axis; }

class GroupNormalization : public Layer {
 public:
  explicit GroupNormalization(const Json& config) : Layer(config, "GroupNormalization") {
    const ConfigReader r(config, describe());
    groups_ = r.get<std::int64_t>("groups", 32);
    if (groups_ < 1) throw Error(describe() + ": groups must be positive, found " + std::to_string(groups_));
    axis_ = r.get<std::int64_t>("axis", -1);
    epsilon_ = r.get<double>("epsilon", 1e-3);
    affine_ = AffineOptions::read(r);
    set_supports_masking(true);
  }
  std::string class_name() const override { return "GroupNormalization"; }
  // Keras creates its parameters with autocast=False and normalizes in float32 under a mixed policy.
  bool autocasts_variables() const override { return false; }
  Json get_config() const override {
    Json c = Layer::get_config();
    c["groups"] = groups_;
    c["axis"] = axis_;
    c["epsilon"] = epsilon_;
    affine_.write(c);
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    if (shapes.size() != 1) throw Error(describe() + " takes one input, found " + std::to_string(shapes.size()));
    const Shape& in = shapes[0];
    const std::int64_t axis = positive_axis(axis_, in.size());
    if (axis <= 0 || axis >= static_cast<std::int64_t>(in.size()) || in[static_cast<std::size_t>(axis)] < 0)
      throw Error(describe() + ": axis " + std::to_string(axis_) + " is not a known axis of input " + shape_to_string(in));
    const Dim channels = in[static_cast<std::size_t>(axis)];
    if (channels < groups_ || channels % groups_ != 0)
      throw Error(describe() + ": the " + std::to_string(channels) + " channels of input " + shape_to_string(in) +
                  " cannot be split into " + std::to_string(groups_) + " groups");
    if (affine_.scale) gamma_ = add_weight(affine_.gamma_spec({channels}));
    if (affine_.center) beta_ = add_weight(affine_.beta_spec({channels}));
  }

  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = inputs.at(0).as_float();
    const auto axis = static_cast<std::size_t>(positive_axis(axis_, x.shape().size()));
    // [..., channels, ...] -> [..., groups, channels / groups, ...]
    Shape grouped = x.shape();
    grouped[axis] = groups_;
    grouped.insert(grouped.begin() + static_cast<std::ptrdiff_t>(axis) + 1, x.shape()[axis] / groups_);
    const Tensor g = ops::reshape(x, grouped);
    std::vector<std::int64_t> reduced;
    for (std::size_t a = 1; a < grouped.size(); ++a)
      if (a != axis) reduced.push_back(static_cast<std::int64_t>(a));
    const Tensor mean = ops::mean(g, reduced, true);
    const Tensor variance = ops::mean(ops::squared_difference(g, mean), reduced, true);
    // gamma and beta broadcast over the grouped shape: [1, ..., groups, channels / groups, 1, ...].
    Shape parameter(grouped.size(), 1);
    parameter[axis] = grouped[axis];
    parameter[axis + 1] = grouped[axis + 1];
    Tensor inv = ops::rsqrt(ops::add(variance, epsilon_));
    if (gamma_) inv = ops::mul(inv, ops::reshape(gamma_->value(), parameter));
    Tensor y = ops::mul(ops::sub(g, mean), inv);
    if (beta_) y = ops::add(y, ops::reshape(beta_->value(), parameter));
    return {ops::reshape(y, x.shape())};
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return {shapes.at(0)}; }

 private:
  std::string describe() const { return "layer '" + name() + "' (GroupNormalization)"; }

  std::int64_t groups_ = 32, axis_ = -1;
  double epsilon_ = 1e-3;
  AffineOptions affine_;
  VariablePtr gamma_, beta_;
};

class UnitNormalization : public Layer {
 public:
  explicit UnitNormalization(const Json& config) : Layer(config, "UnitNormalization") {
    const ConfigReader r(config, "layer '" + name() + "' (UnitNormalization)");
    axis_ = r.get<Json>("axis", -1);
    // An int or a non-empty list of ints (int_list checks every entry and names what it found);
    // the config keeps the form it was given.
    axes_ = r.int_list("axis", {-1});
    if (axis_.is_null() || axes_.empty())
      throw Error(r.object() + ": axis must be an int or a non-empty list of ints, found " + axis_.dump());
    set_supports_masking(true);
  }
  std::string class_name() const override { return "UnitNormalization"; }
  Json get_config() const override {
    Json c = Layer::get_config();
    c["axis"] = axis_;
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = inputs.at(0).as_float();
    std::set<std::int64_t> axes;
    for (const std::int64_t a : axes_) {
      const std::int64_t axis = positive_axis(a, x.shape().size());
      if (axis < 0 || axis >= x.rank())
        throw Error("layer '" + name() + "' (UnitNormalization): axis " + std::to_string(a) + " is outside input " +
                    shape_to_string(x.shape()));
      axes.insert(axis);
    }
    const Tensor squares = ops::sum(ops::square(x), {axes.begin(), axes.end()}, true);
    return {ops::mul(x, ops::rsqrt(ops::maximum(squares, Tensor::scalar(1e-12f))))};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return {shapes.at(0)}; }

 private:
  Json axis_;
  std::vector<std::int64_t> axes_;
};

}  // namespace

void register_group_and_unit_normalization(PluginRegistrar& r) {
  r.layer<GroupNormalization>("GroupNormalization");
  r.layer<UnitNormalization>("UnitNormalization").keras3_form(Keras3Form().no_build_config());  // Keras 3's has no build()
}

}  // namespace ksave::plugins
