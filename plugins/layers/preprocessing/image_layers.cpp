// Resizing and CenterCrop, as tf.image.resize (TensorFlow 2's half-pixel centers, no antialias)
// and Keras's smart_resize compute them (the kernels in common/image_resize.hpp, shared with the
// SavedModel graph runtime's Resize* ops).
#include "../common/image_resize.hpp"
#include "ksave/ops.hpp"
#include "preprocessing_layer.hpp"

namespace ksave::plugins::preprocessing {
namespace {

// tf.image.resize in TensorFlow 2: half-pixel centers (the default Centers), no antialias.
using image_resize::resize;

Tensor crop(const Tensor& x, Dim top, Dim left, Dim height, Dim width) {
  return ops::slice(x, {0, top, left, 0}, {-1, height, width, -1});
}

// keras.preprocessing.image.smart_resize: the largest centered crop of the target's aspect
// ratio, then resized (float32 arithmetic as Keras's).
Tensor smart_resize(const Tensor& x, Dim height, Dim width, const std::string& interpolation) {
  const Dim h = x.dim(1), w = x.dim(2);
  const Dim crop_h = std::min(h, static_cast<Dim>(static_cast<float>(w * height) / static_cast<float>(width)));
  const Dim crop_w = std::min(w, static_cast<Dim>(static_cast<float>(h * width) / static_cast<float>(height)));
  const Dim top = static_cast<Dim>(static_cast<float>(h - crop_h) / 2.0f);
  const Dim left = static_cast<Dim>(static_cast<float>(w - crop_w) / 2.0f);
  return resize(crop(x, top, left, crop_h, crop_w), height, width, interpolation);
}

class ImageLayer : public PreprocessingLayer {
 public:
  ImageLayer(const Json& config, const char* class_name) : PreprocessingLayer(config, class_name) {
    height_ = reader().require<Dim>("height");
    width_ = reader().require<Dim>("width");
    if (height_ <= 0 || width_ <= 0)
      throw Error(object() + ": height and width must be positive, found " + std::to_string(height_) + " and " + std::to_string(width_));
    // A side read from a file builds index vectors of that length before any tensor's own size
    // check: bounded, so that a hostile config cannot exhaust memory (no real image comes near).
    constexpr Dim kLargestSide = Dim{1} << 24;
    if (height_ > kLargestSide || width_ > kLargestSide)
      throw Error(object() + ": height and width must be at most " + std::to_string(kLargestSide) + ", found " +
                  std::to_string(height_) + " and " + std::to_string(width_));
    const std::string format = reader().get<std::string>("data_format", "channels_last");
    if (format != "channels_last") throw Error(object() + ": only data_format channels_last is supported, found " + format);
  }

 protected:
  // The images as a float32 batch (N, H, W, C).
  Tensor images(const Tensors& inputs) const {
    const Tensor x = inputs.at(0).as_float();
    if (x.rank() != 4) throw Error(object() + ": expected images of rank 4 (batch, height, width, channels), found rank " + std::to_string(x.rank()));
    return x;
  }
  DType output_dtype(const std::vector<DType>&) const override { return DType::Float32; }
  Dim height_ = 0, width_ = 0;
};

class Resizing : public ImageLayer {
 public:
  explicit Resizing(const Json& config) : ImageLayer(config, "Resizing") {
    interpolation_ = reader().get<std::string>("interpolation", "bilinear");
    if (!image_resize::computes(interpolation_))
      throw Error(object() + ": interpolation '" + interpolation_ + "' is not supported (" + image_resize::kMethods + ")");
    if (reader().get<bool>("antialias", false) && interpolation_ != "nearest")
      throw Error(object() + ": antialias is not supported (TensorFlow computes it with ScaleAndTranslate)");
    crop_to_aspect_ratio_ = reader().get<bool>("crop_to_aspect_ratio", false);
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = images(inputs);
    return {crop_to_aspect_ratio_ ? smart_resize(x, height_, width_, interpolation_) : resize(x, height_, width_, interpolation_)};
  }

 private:
  std::string interpolation_;
  bool crop_to_aspect_ratio_ = false;
};

// The centered crop (top-left rounding down); images smaller than the target are smart-resized,
// as Keras's CenterCrop does.
class CenterCrop : public ImageLayer {
 public:
  explicit CenterCrop(const Json& config) : ImageLayer(config, "CenterCrop") {}

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor x = images(inputs);
    const Dim dh = x.dim(1) - height_, dw = x.dim(2) - width_;
    if (dh < 0 || dw < 0) return {smart_resize(x, height_, width_, "bilinear")};
    return {crop(x, dh / 2, dw / 2, height_, width_)};
  }
};

// RandomCrop at inference, as the Keras that wrote the file computes it: tf-keras 2.x
// smart-resizes to the target (it draws a crop in training only); Keras 3.15 returns the images
// unchanged (its transform_images crops in training only), although it declares the target's
// shape. Keras 3 writes data_format into the config and tf-keras never does: that tells them
// apart. Both declare the target shape, so the layers after it are built as Keras built them.
class RandomCrop : public ImageLayer {
 public:
  explicit RandomCrop(const Json& config) : ImageLayer(config, "RandomCrop"), keras3_(config.contains("data_format")) {}

 protected:
  Tensors call(const Tensors& inputs, const CallContext& ctx) override {
    if (ctx.training) refuse_augmentation_in_training(object());
    if (keras3_) return {inputs.at(0)};
    return {smart_resize(images(inputs), height_, width_, "bilinear")};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    Shape shape = shapes.at(0);
    if (shape.size() != 4) throw Error(object() + ": expected images of rank 4 (batch, height, width, channels), found shape " + shape_to_string(shape));
    shape[1] = height_;
    shape[2] = width_;
    return {shape};
  }

 private:
  bool keras3_;
};

}  // namespace

void register_image_layers(PluginRegistrar& r) {
  r.layer<Resizing>("Resizing");
  r.layer<CenterCrop>("CenterCrop");
  r.layer<RandomCrop>("RandomCrop");
}

}  // namespace ksave::plugins::preprocessing
