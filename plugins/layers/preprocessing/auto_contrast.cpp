// Keras 3's AutoContrast: each image's channels stretched over the value range, at inference and
// in training alike, in Keras 3.15's float32 order of operations (transform_images): the images
// mapped from value_range to [0, 255], then per image and channel x · scale + offset with
// scale = 255 / (max − min) and offset = −min · scale, clipped to [0, 255] and mapped back. A
// channel whose min equals its max comes out unchanged (Keras computes NaN there and puts the
// input back).
#include <algorithm>

#include "ksave/ops.hpp"
#include "preprocessing_layer.hpp"

namespace ksave::plugins::preprocessing {
namespace {

struct Range {
  double low, high;
};

// Keras's _transform_value_range: to [0, 1] from `from`, then onto `to`; nothing when equal.
Tensor in_range(const Tensor& x, Range from, Range to) {
  if (from.low == to.low && from.high == to.high) return x;
  const Tensor unit = ops::div(ops::sub(x, ops::constant(from.low)), ops::constant(from.high - from.low));
  return ops::add(ops::mul(unit, ops::constant(to.high - to.low)), ops::constant(to.low));
}

class AutoContrast : public PreprocessingLayer {
 public:
  explicit AutoContrast(const Json& config) : PreprocessingLayer(config, "AutoContrast") {
    const auto range = reader().get<std::vector<double>>("value_range", {0.0, 255.0});
    if (range.size() != 2 || range[0] == range[1])
      throw Error(object() + ": value_range must be two different numbers, found " + reader().get<Json>("value_range", nullptr).dump());
    range_ = {std::min(range[0], range[1]), std::max(range[0], range[1])};  // Keras sorts it
    const std::string format = reader().get<std::string>("data_format", "channels_last");
    if (format != "channels_last") throw Error(object() + ": only data_format channels_last is supported, found " + format);
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = inputs.at(0).as_float();
    if (x.rank() != 4) throw Error(object() + ": expected images of rank 4 (batch, height, width, channels), found rank " + std::to_string(x.rank()));
    constexpr Range kBytes{0.0, 255.0};
    const Tensor images = in_range(x, range_, kBytes);
    const Tensor low = ops::min(images, {1, 2}, true), high = ops::max(images, {1, 2}, true);
    const Tensor scale = ops::div(ops::constant(255.0), ops::sub(high, low));
    const Tensor offset = ops::mul(ops::neg(low), scale);
    const Tensor stretched = in_range(ops::clip(ops::add(ops::mul(images, scale), offset), 0.0, 255.0), kBytes, range_);
    return {ops::select(ops::greater(high, low), stretched, x)};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return {shapes.at(0)}; }
  DType output_dtype(const std::vector<DType>&) const override { return DType::Float32; }

 private:
  Range range_{};
};

}  // namespace

void register_auto_contrast(PluginRegistrar& r) { r.layer<AutoContrast>("AutoContrast"); }

}  // namespace ksave::plugins::preprocessing
