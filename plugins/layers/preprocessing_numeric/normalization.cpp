// Normalization: y = (x - mean) / max(sqrt(variance), 1e-7), or with `invert` the reverse,
// mean + x * max(sqrt(variance), 1e-7), as keras.layers.Normalization. `axis` (an int, a list, or
// null for one mean and variance over everything) names the axes that keep their own statistics.
// Statistics come from the config (`mean`, `variance`: no weights, as Keras) or from the
// non-trainable weights `mean`, `variance` and the int64 `count` that `adapt` fills, which both
// tf-keras and Keras 3 store in that order.
#include <algorithm>

#include "layers.hpp"
#include "numeric_values.hpp"
#include "ksave/config.hpp"
#include "ksave/ops.hpp"

namespace ksave::plugins {
namespace {

// Keras divides by max(sqrt(variance), backend.epsilon()) so that a zero variance is no NaN.
constexpr double kEpsilon = 1e-7;

class Normalization : public Layer {
 public:
  explicit Normalization(const Json& config) : Layer(config, "Normalization") {
    ConfigReader r(config, describe());
    const Json* axis = r.find("axis");
    if (!axis) {
      axes_ = {-1};
    } else if (axis->is_number_integer()) {
      axes_ = {axis->get<std::int64_t>()};
    } else if (axis->is_array()) {
      for (const Json& a : *axis) {
        if (!a.is_number_integer()) throw Error(describe() + ": config key 'axis' has an unexpected value " + axis->dump());
        axes_.push_back(a.get<std::int64_t>());
      }
    } else if (!axis->is_null()) {
      throw Error(describe() + ": config key 'axis' has an unexpected value " + axis->dump() +
                  " (expected an int, a list of ints or null)");
    }
    invert_ = r.get<bool>("invert", false);
    mean_json_ = r.get<Json>("mean", nullptr);
    variance_json_ = r.get<Json>("variance", nullptr);
    if (mean_json_.is_null() != variance_json_.is_null())
      throw Error(describe() + ": config gives " + (mean_json_.is_null() ? "'variance' without 'mean'" : "'mean' without 'variance'") +
                  "; Keras needs both or neither");
  }

  std::string class_name() const override { return "Normalization"; }

  Json get_config() const override {
    Json c = Layer::get_config();
    c["axis"] = axes_;
    c["invert"] = invert_;
    c["mean"] = mean_json_;
    c["variance"] = variance_json_;
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    if (shapes.size() != 1) throw Error(describe() + " takes one input, found " + std::to_string(shapes.size()));
    const Shape& input = shapes[0];
    const auto rank = static_cast<std::int64_t>(input.size());
    Shape statistics_shape;
    broadcast_shape_.assign(input.size(), 1);
    std::vector<std::int64_t> kept;
    for (std::int64_t a : axes_) {
      const std::int64_t axis = a < 0 ? a + rank : a;
      if (axis <= 0 || axis >= rank || input[static_cast<std::size_t>(axis)] < 0)
        throw Error(describe() + ": axis " + std::to_string(a) + " is not a known non-batch axis of input " +
                    shape_to_string(input));
      kept.push_back(axis);
    }
    std::sort(kept.begin(), kept.end());
    for (std::int64_t axis : kept) {
      const std::int64_t size = input[static_cast<std::size_t>(axis)];
      statistics_shape.push_back(size);
      broadcast_shape_[static_cast<std::size_t>(axis)] = size;
    }
    if (mean_json_.is_null()) {
      mean_ = add_weight({"mean", statistics_shape, DType::Float32, get_initializer("zeros"), nullptr, nullptr, false});
      variance_ = add_weight({"variance", statistics_shape, DType::Float32, get_initializer("ones"), nullptr, nullptr, false});
      count_ = add_weight({"count", {}, DType::Int64, get_initializer("zeros"), nullptr, nullptr, false});
    } else {
      config_mean_ = statistics(mean_json_, "mean", statistics_shape);
      config_variance_ = statistics(variance_json_, "variance", statistics_shape);
    }
  }

  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = inputs.at(0).as_float();
    const Tensor mean = ops::reshape(mean_ ? mean_->value() : config_mean_, broadcast_shape_);
    const Tensor variance = ops::reshape(variance_ ? variance_->value() : config_variance_, broadcast_shape_);
    const Tensor deviation = ops::maximum(ops::sqrt(variance), ops::constant(kEpsilon));
    if (invert_) return {ops::add(mean, ops::mul(x, deviation))};
    return {ops::div(ops::sub(x, mean), deviation)};
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return {shapes.at(0)}; }

 private:
  std::string describe() const { return "layer '" + name() + "' (Normalization)"; }

  Tensor statistics(const Json& value, const char* key, const Shape& shape) const {
    const std::string what = describe() + ": config key '" + key + "'";
    return numbers_to_shape(flatten_numbers(value, what), shape, what);
  }

  std::vector<std::int64_t> axes_;
  bool invert_ = false;
  Json mean_json_, variance_json_;
  Shape broadcast_shape_;
  VariablePtr mean_, variance_, count_;
  Tensor config_mean_, config_variance_;
};

}  // namespace

void register_normalization(PluginRegistrar& r) { r.layer<Normalization>("Normalization"); }

}  // namespace ksave::plugins
