// Keras 3's ContrastLimitedAdaptiveHistogramEqualization (CLAHE), deterministic and the same at
// inference and in training: the images mapped from value_range to [0, 255], equalized tile by tile
// (clahe_equalize.hpp) and mapped back, as Keras 3.15's transform_images does; channels_first
// images are moved to channels-last around it, as Keras does.
#include <algorithm>

#include "clahe_equalize.hpp"
#include "ksave/op.hpp"
#include "ksave/ops.hpp"
#include "preprocessing_layer.hpp"
#include "value_range.hpp"

namespace ksave::plugins::preprocessing {
namespace {

class ContrastLimitedAdaptiveHistogramEqualization : public PreprocessingLayer {
 public:
  explicit ContrastLimitedAdaptiveHistogramEqualization(const Json& config)
      : PreprocessingLayer(config, "ContrastLimitedAdaptiveHistogramEqualization") {
    range_ = read_value_range(reader(), object());
    settings_.clip_limit = reader().get<double>("clip_limit", 4.0);
    const auto grid = reader().get<std::vector<Dim>>("tile_grid_size", {8, 8});
    // A grid side is bounded as image sides are (Resizing): the tiles' histograms are sized by it.
    constexpr Dim kLargestGrid = Dim{1} << 24;
    if (grid.size() != 2 || std::any_of(grid.begin(), grid.end(), [](Dim g) { return g <= 0 || g > kLargestGrid; }))
      throw Error(object() + ": tile_grid_size must be two positive integers of at most " + std::to_string(kLargestGrid) +
                  ", found " + reader().get<Json>("tile_grid_size", nullptr).dump());
    settings_.grid_height = grid[0];
    settings_.grid_width = grid[1];
    const std::string format = reader().get<std::string>("data_format", "channels_last");
    if (format != "channels_last" && format != "channels_first")
      throw Error(object() + ": data_format must be channels_last or channels_first, found " + format);
    channels_first_ = format == "channels_first";
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    // The tiles' histograms are computed as data, not by ops: a traced function would freeze them.
    // (A gradient tape sees the equalized images as a constant, as TensorFlow's gradient of
    // Keras's CLAHE is none: its pixels reach the output through integer casts only.)
    if (!fused_ops_allowed())
      throw Error(object() + ": CLAHE is computed as data, not by ksave's ops, so it cannot be traced into a SavedModel's "
                             "functions yet; save as .keras or .h5, or with save_traces=false");
    Tensor x = inputs.at(0).as_float();
    // Keras takes a rank-3 tensor for one image, which in a model would be a batch of
    // single-channel images taken for one image: refused rather than given that meaning.
    if (x.rank() != 4)
      throw Error(object() + ": expected images of rank 4 (batch, height, width, channels), found rank " + std::to_string(x.rank()));
    if (channels_first_) x = ops::transpose(x, {0, 2, 3, 1});
    Tensor y = in_range(clahe_equalize(in_range(x, range_, kByteRange), settings_, object()), kByteRange, range_);
    if (channels_first_) y = ops::transpose(y, {0, 3, 1, 2});
    return {y};
  }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return {shapes.at(0)}; }
  DType output_dtype(const std::vector<DType>&) const override { return DType::Float32; }

 private:
  ValueRange range_{};
  ClaheSettings settings_{};
  bool channels_first_ = false;
};

}  // namespace

void register_clahe(PluginRegistrar& r) {
  r.layer<ContrastLimitedAdaptiveHistogramEqualization>("ContrastLimitedAdaptiveHistogramEqualization");
}

}  // namespace ksave::plugins::preprocessing
