// RMSNormalization (Keras 3 only): y = x · rsqrt(mean(x², axis) + epsilon) · scale, as Keras 3.15's
// ops.rms_normalization computes it (in float32, the mean over the sorted axes with keepdims),
// the weight "scale" shaped like the normalized axes and, as in Keras, multiplied in with
// numpy's broadcasting (against the input's trailing axes). Keras writes the axis back as a list
// once the layer is built.
#include <algorithm>

#include "ksave/config.hpp"
#include "ksave/ops.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

class RMSNormalization : public Layer {
 public:
  explicit RMSNormalization(const Json& config) : Layer(config, "RMSNormalization") {
    const ConfigReader r(config, describe());
    const Json* axis = r.find("axis");
    axis_list_ = axis && axis->is_array();
    axes_ = r.int_list("axis", {-1});
    if (axes_.empty()) throw Error(describe() + ": axis must name at least one axis");
    if (axis_list_) std::sort(axes_.begin(), axes_.end());
    epsilon_ = r.get<double>("epsilon", 1e-6);
  }

  std::string class_name() const override { return "RMSNormalization"; }

  Json get_config() const override {
    Json c = Layer::get_config();
    c["axis"] = axis_list_ || built() ? Json(axes_) : Json(axes_[0]);
    c["epsilon"] = epsilon_;
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    if (shapes.size() != 1) throw Error(describe() + " takes one input, found " + std::to_string(shapes.size()));
    const Shape& in = shapes[0];
    const auto rank = static_cast<std::int64_t>(in.size());
    Shape scale_shape;
    normalized_axes_.clear();
    for (std::int64_t a : axes_) {
      const std::int64_t axis = a < 0 ? a + rank : a;
      if (axis < 0 || axis >= rank || in[static_cast<std::size_t>(axis)] < 0)
        throw Error(describe() + ": axis " + std::to_string(a) + " is not a known axis of input " + shape_to_string(in));
      scale_shape.push_back(in[static_cast<std::size_t>(axis)]);
      normalized_axes_.push_back(axis);
    }
    // Keras multiplies by the scale as it is: it must broadcast against the input's last axes.
    const auto trailing = in.end() - static_cast<std::ptrdiff_t>(scale_shape.size());
    if (scale_shape.size() > in.size() || !std::equal(scale_shape.begin(), scale_shape.end(), trailing))
      throw Error(describe() + ": axis " + Json(axes_).dump() + " gives a scale of shape " + shape_to_string(scale_shape) +
                  ", which does not broadcast against input " + shape_to_string(in) +
                  " (Keras multiplies without reshaping: the normalized axes must be the last ones)");
    scale_ = add_weight({"scale", scale_shape, DType::Float32, get_initializer("ones"), nullptr, nullptr, true});
  }

  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = inputs.at(0).as_float();
    const Tensor mean_square = ops::mean(ops::square(x), normalized_axes_, true);
    const Tensor y = ops::mul(ops::mul(x, ops::rsqrt(ops::add(mean_square, epsilon_))), scale_->value());
    return {inputs.at(0).dtype() == DType::Float32 ? y : y.cast(inputs.at(0).dtype())};
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return {shapes.at(0)}; }

 private:
  std::string describe() const { return "layer '" + name() + "' (RMSNormalization)"; }

  std::vector<std::int64_t> axes_, normalized_axes_;  // as given (sorted), and within the rank
  bool axis_list_ = false;
  double epsilon_ = 1e-6;
  VariablePtr scale_;
};

}  // namespace

void register_rms_normalization(PluginRegistrar& r) {
  r.layer<RMSNormalization>("RMSNormalization")
      .keras3_form(Keras3Form().keys({"name", "trainable", "dtype", "axis", "epsilon"}));
}

}  // namespace ksave::plugins
