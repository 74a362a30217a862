// Keras 3's MaxNumBoundingBoxes on an image tensor: the images as they are, cast to float32 (its
// transform_images returns them; Keras casts a layer's inputs to its compute dtype first:
// measured with Keras 3.15, int32 and uint8 images come out float32). Its work, padding or
// truncating bounding boxes and labels to max_number, is on a dict of images and bounding boxes,
// which ksave's graphs of tensors cannot hold: a call on several tensors is refused by name.
#include "preprocessing_layer.hpp"

namespace ksave::plugins::preprocessing {
namespace {

class MaxNumBoundingBoxes : public PreprocessingLayer {
 public:
  explicit MaxNumBoundingBoxes(const Json& config) : PreprocessingLayer(config, "MaxNumBoundingBoxes") {
    const Json max_number = reader().require<Json>("max_number");
    if (!max_number.is_number_integer() || max_number.get<std::int64_t>() <= 0)
      throw Error(object() + ": max_number must be a positive integer, found " + max_number.dump());
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    check_images(inputs.size(), inputs.at(0).rank());
    return {inputs[0].as_float()};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    check_images(shapes.size(), shapes.empty() ? 0 : static_cast<int>(shapes[0].size()));
    return {shapes[0]};
  }
  DType output_dtype(const std::vector<DType>&) const override { return DType::Float32; }

 private:
  // One image tensor of rank 3 (one image) or 4 (a batch), as Keras's _is_batched takes.
  void check_images(std::size_t count, int rank) const {
    if (count != 1)
      throw Error(object() + ": takes one tensor of images, found " + std::to_string(count) +
                  " tensors; a dict of images and bounding boxes (Keras's {\"images\", \"bounding_boxes\"}) is not supported by ksave");
    if (rank != 3 && rank != 4)
      throw Error(object() + ": expected images of rank 3 or 4, found rank " + std::to_string(rank) + " (as Keras refuses)");
  }
};

}  // namespace

void register_max_num_bounding_boxes(PluginRegistrar& r) { r.layer<MaxNumBoundingBoxes>("MaxNumBoundingBoxes"); }

}  // namespace ksave::plugins::preprocessing
