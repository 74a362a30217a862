// Keras 3's ContrastLimitedAdaptiveHistogramEqualization in Keras 3.15's order of operations (the
// layer's clahe_equalize.hpp says what each step computes): the images mapped to [0, 255], padded
// at the bottom and right by mirroring (Slice with step -1, then Concat), cut into tiles whose
// 256-bin histograms are a OneHot of the truncated values summed per tile, clipped and spread,
// CumSum'ed and scaled; the tiles' mappings, the grid extended by its edge tiles (Pad "edge"), are
// read per pixel by GatherElements at constant offsets (each pixel's four neighbouring tiles) plus
// its bin, and blended with constant weights. The images' height, width and channels must be
// known (the tiles and weights are constants of the graph).
#include <algorithm>
#include <cmath>
#include <limits>

#include "converter.hpp"

namespace ksave::plugins::onnx_export {
namespace {

constexpr std::int64_t kBins = 256;

struct Range {
  double low = 0.0, high = 255.0;
};

// One axis of the grid: the tile rows (or columns) each pixel reads, in the extended grid, and
// the second one's weight (the layer's `neighbours`).
struct Axis {
  std::vector<std::int64_t> first, second;
  std::vector<float> weight;
};

Axis grid_axis(std::int64_t size, std::int64_t tile, std::int64_t grid) {
  Axis a;
  const float half = static_cast<float>(static_cast<double>(tile) / 2.0), tile_f = static_cast<float>(tile);
  for (std::int64_t i = 0; i < size; ++i) {  // the pixels the output keeps
    const float position = (static_cast<float>(i) - half) / tile_f + 1.0f;
    const float below = std::floor(position);
    a.weight.push_back(position - below);
    a.first.push_back(std::clamp(static_cast<std::int64_t>(below), std::int64_t{0}, grid + 1));
    a.second.push_back(std::clamp(static_cast<std::int64_t>(below + 1.0f), std::int64_t{0}, grid + 1));
  }
  return a;
}

class Clahe {
 public:
  explicit Clahe(Conversion& c) : c_(c), onnx_(c.onnx) {
    const Json& config = c.config();
    const auto range = config.value("value_range", std::vector<double>{0.0, 255.0});
    range_ = {range.at(0), range.at(1)};
    clip_limit_ = config.value("clip_limit", 4.0);
    const auto grid = config.value("tile_grid_size", std::vector<std::int64_t>{8, 8});
    grid_h_ = grid.at(0);
    grid_w_ = grid.at(1);
    channels_first_ = config.value("data_format", std::string("channels_last")) == "channels_first";
  }

  std::vector<Value> convert() {
    const Value& x = c_.input();
    if (x.rank() != 4 || std::any_of(x.shape.begin() + 1, x.shape.end(), [](Dim d) { return d < 0; }))
      throw Error(c_.describe() + ": its tiles depend on the images' height, width and channels, which the model leaves "
                                  "unknown (" + shape_to_string(x.shape) + "); ONNX export needs them fixed");
    const Perm to_channels_last = channels_first_ ? Perm{0, 2, 3, 1} : Perm{};
    Shape shape = x.shape;
    if (channels_first_) shape = {shape[0], shape[2], shape[3], shape[1]};
    height_ = shape[1];
    width_ = shape[2];
    channels_ = shape[3];
    tile_h_ = (height_ + grid_h_ - 1) / grid_h_;
    tile_w_ = (width_ + grid_w_ - 1) / grid_w_;
    if (tile_h_ * grid_h_ - height_ > height_ || tile_w_ * grid_w_ - width_ > width_)
      throw Error(c_.describe() + ": its tile grid pads the images by more than their size, which Keras cannot run either");
    const std::string images = in_range(onnx_.float_in_layout(x, to_channels_last), range_, Range{});
    const std::string mappings = tile_mappings(padded(images));
    std::string y = in_range(equalized(images, mappings), Range{}, range_);
    if (channels_first_) y = onnx_.transpose(y, {0, 3, 1, 2}, c_.hint());
    return {c_.output(y)};
  }

 private:
  std::string binary(const char* op, const std::string& a, const std::string& b) { return onnx_.op(op, {a, b}, c_.hint()); }
  std::string ints_constant(const std::vector<std::int64_t>& values, const Shape& shape) {
    return onnx_.graph().constant(Tensor::from_vector(values, shape), c_.hint("constant"));
  }
  std::string floats_constant(const std::vector<float>& values, const Shape& shape) {
    return onnx_.graph().constant(Tensor::from_vector(values, shape), c_.hint("constant"));
  }

  // Keras's _transform_value_range: nothing when the ranges are equal.
  std::string in_range(const std::string& v, Range from, Range to) {
    if (from.low == to.low && from.high == to.high) return v;
    const std::string unit = binary("Div", binary("Sub", v, onnx_.scalar(static_cast<float>(from.low))),
                                    onnx_.scalar(static_cast<float>(from.high - from.low)));
    return binary("Add", binary("Mul", unit, onnx_.scalar(static_cast<float>(to.high - to.low))), onnx_.scalar(static_cast<float>(to.low)));
  }

  // The images padded to whole tiles at the bottom and right, mirrored with the edge repeated
  // (numpy's "symmetric"): rows H-1, H-2, ... after the last.
  std::string padded(std::string images) {
    const auto mirror = [&](std::string v, std::int64_t axis, std::int64_t size, std::int64_t pad) {
      if (pad == 0) return v;
      // Slice's end before index 0 going backwards is any number below -size.
      const std::int64_t end = size - 1 - pad >= 0 ? size - 1 - pad : std::numeric_limits<std::int64_t>::min();
      return onnx_.concat({v, onnx_.slice(v, {size - 1}, {end}, {axis}, c_.hint(), {-1})}, axis, c_.hint());
    };
    images = mirror(images, 1, height_, tile_h_ * grid_h_ - height_);
    return mirror(images, 2, width_, tile_w_ * grid_w_ - width_);
  }

  // A value's histogram bin: Keras casts to int32 (truncating) and clips to [0, 255].
  std::string bins(const std::string& v) {
    return onnx_.cast(onnx_.op("Clip", {v, onnx_.scalar(0.0f), onnx_.scalar(255.0f)}, c_.hint()), DType::Int64, c_.hint());
  }

  // (N, C, (grid_h + 2) · (grid_w + 2) · 256): each tile's mapping of the bins to [0, 255], the
  // grid extended by its edge tiles.
  std::string tile_mappings(const std::string& padded_images) {
    const std::int64_t area = tile_h_ * tile_w_;
    std::string tiles = onnx_.reshape(bins(padded_images), {-1, grid_h_, tile_h_, grid_w_, tile_w_, channels_}, c_.hint());
    tiles = onnx_.transpose(tiles, {0, 1, 3, 5, 2, 4}, c_.hint());
    tiles = onnx_.reshape(tiles, {-1, grid_h_, grid_w_, channels_, area}, c_.hint());
    const std::string one_hot = onnx_.op("OneHot", {tiles, ints_constant({kBins}, {}), floats_constant({0.0f, 1.0f}, {2})}, c_.hint());
    std::string hist = onnx_.reduce("ReduceSum", one_hot, {4}, false, c_.hint());  // (N, gh, gw, C, 256)
    if (clip_limit_ > 0) {
      const float limit = static_cast<float>(clip_limit_ * static_cast<double>(area) / 256.0);
      const std::string clipped = onnx_.op("Clip", {hist, onnx_.scalar(0.0f), onnx_.scalar(limit)}, c_.hint());
      const std::string excess = onnx_.reduce("ReduceSum", binary("Sub", hist, clipped), {4}, true, c_.hint());
      hist = binary("Add", clipped, binary("Div", excess, onnx_.scalar(256.0f)));
    }
    const std::string cdf = onnx_.op("CumSum", {hist, ints_constant({4}, {})}, c_.hint());
    const std::string low = onnx_.reduce("ReduceMin", cdf, {4}, true, c_.hint());
    const std::string numerator = binary("Mul", binary("Sub", cdf, low), onnx_.scalar(255.0f));
    std::string denominator = binary("Sub", onnx_.scalar(static_cast<float>(area)), low);
    denominator = onnx_.op("Where", {binary("Equal", denominator, onnx_.scalar(0.0f)), onnx_.scalar(1.0f), denominator}, c_.hint());
    const std::string scaled =
        onnx_.op("Clip", {binary("Div", numerator, denominator), onnx_.scalar(0.0f), onnx_.scalar(255.0f)}, c_.hint());
    const std::string extended = onnx_.op("Pad", {scaled, ints_constant({0, 1, 1, 0, 0, 0, 1, 1, 0, 0}, {10})}, c_.hint(),
                                          {string_attr("mode", "edge")});
    return onnx_.reshape(onnx_.transpose(extended, {0, 3, 1, 2, 4}, c_.hint()), {0, 0, -1}, c_.hint());
  }

  // Each pixel's value: its bin read from its four neighbouring tiles, blended as Keras blends.
  std::string equalized(const std::string& images, const std::string& mappings) {
    const std::int64_t pixels = height_ * width_;
    const std::string pixel_bins = onnx_.reshape(onnx_.transpose(bins(images), {0, 3, 1, 2}, c_.hint()), {0, 0, pixels}, c_.hint());
    const Axis rows = grid_axis(height_, tile_h_, grid_h_), cols = grid_axis(width_, tile_w_, grid_w_);
    const Shape per_pixel{1, 1, pixels};
    const auto read = [&](const std::vector<std::int64_t>& row, const std::vector<std::int64_t>& col) {
      std::vector<std::int64_t> offsets;
      for (std::int64_t i = 0; i < height_; ++i)
        for (std::int64_t j = 0; j < width_; ++j)
          offsets.push_back((row[static_cast<std::size_t>(i)] * (grid_w_ + 2) + col[static_cast<std::size_t>(j)]) * kBins);
      const std::string index = binary("Add", pixel_bins, ints_constant(offsets, per_pixel));
      return onnx_.op("GatherElements", {mappings, index}, c_.hint(), {int_attr("axis", 2)});
    };
    std::vector<float> wy, wx, one_minus_wy, one_minus_wx;
    for (std::int64_t i = 0; i < height_; ++i)
      for (std::int64_t j = 0; j < width_; ++j) {
        wy.push_back(rows.weight[static_cast<std::size_t>(i)]);
        wx.push_back(cols.weight[static_cast<std::size_t>(j)]);
        one_minus_wy.push_back(1.0f - wy.back());
        one_minus_wx.push_back(1.0f - wx.back());
      }
    const auto blend = [&](const std::string& a, const std::vector<float>& wa, const std::string& b, const std::vector<float>& wb) {
      return binary("Add", binary("Mul", a, floats_constant(wa, per_pixel)), binary("Mul", b, floats_constant(wb, per_pixel)));
    };
    const std::string top = blend(read(rows.first, cols.first), one_minus_wx, read(rows.first, cols.second), wx);
    const std::string bottom = blend(read(rows.second, cols.first), one_minus_wx, read(rows.second, cols.second), wx);
    const std::string y = blend(top, one_minus_wy, bottom, wy);  // (N, C, H·W)
    return onnx_.transpose(onnx_.reshape(y, {0, 0, height_, width_}, c_.hint()), {0, 2, 3, 1}, c_.hint());
  }

  Conversion& c_;
  Emitter& onnx_;
  Range range_;
  double clip_limit_ = 4.0;
  std::int64_t grid_h_ = 8, grid_w_ = 8, height_ = 0, width_ = 0, channels_ = 0, tile_h_ = 0, tile_w_ = 0;
  bool channels_first_ = false;
};

std::vector<Value> clahe(Conversion& c) { return Clahe(c).convert(); }

}  // namespace

void add_clahe_converter(ConverterTable& t) { t["ContrastLimitedAdaptiveHistogramEqualization"] = {clahe, {}}; }

}  // namespace ksave::plugins::onnx_export
