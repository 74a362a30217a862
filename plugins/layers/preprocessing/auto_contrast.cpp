// Keras 3's AutoContrast: each image's channels stretched over the value range, at inference and
// in training alike, in Keras 3.15's float32 order of operations (transform_images): the images
// mapped from value_range to [0, 255], then per image and channel x · scale + offset with
// scale = 255 / (max − min) and offset = −min · scale, clipped to [0, 255] and mapped back. A
// channel whose min equals its max comes out unchanged (Keras computes NaN there and puts the
// input back).
#include <algorithm>

#include "ksave/ops.hpp"
#include "preprocessing_layer.hpp"
#include "value_range.hpp"

namespace ksave::plugins::preprocessing {
namespace {

class AutoContrast : public PreprocessingLayer {
 public:
  explicit AutoContrast(const Json& config) : PreprocessingLayer(config, "AutoContrast") {
    const ValueRange range = read_value_range(reader(), object());
    range_ = {std::min(range.low, range.high), std::max(range.low, range.high)};  // Keras sorts it
    const std::string format = reader().get<std::string>("data_format", "channels_last");
    if (format != "channels_last") throw Error(object() + ": only data_format channels_last is supported, found " + format);
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = inputs.at(0).as_float();
    if (x.rank() != 4) throw Error(object() + ": expected images of rank 4 (batch, height, width, channels), found rank " + std::to_string(x.rank()));
    const Tensor images = in_range(x, range_, kByteRange);
    const Tensor low = ops::min(images, {1, 2}, true), high = ops::max(images, {1, 2}, true);
    const Tensor scale = ops::div(ops::constant(255.0), ops::sub(high, low));
    const Tensor offset = ops::mul(ops::neg(low), scale);
    const Tensor stretched = in_range(ops::clip(ops::add(ops::mul(images, scale), offset), 0.0, 255.0), kByteRange, range_);
    return {ops::select(ops::greater(high, low), stretched, x)};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return {shapes.at(0)}; }
  DType output_dtype(const std::vector<DType>&) const override { return DType::Float32; }

 private:
  ValueRange range_{};
};

}  // namespace

void register_auto_contrast(PluginRegistrar& r) { r.layer<AutoContrast>("AutoContrast"); }

}  // namespace ksave::plugins::preprocessing
