#include "clahe_equalize.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ksave::plugins::preprocessing {
namespace {

constexpr int kBins = 256;

// The histogram bin of a value: Keras casts to int32 (truncating) and clips to [0, 255]; a NaN,
// which TensorFlow's cast makes INT_MIN, lands in bin 0.
int bin_of(float v) {
  if (!(v > 0.0f)) return 0;
  if (v >= 255.0f) return kBins - 1;
  return static_cast<int>(v);
}

// Row (or column) `i` of the padded image: numpy's "symmetric" padding mirrors the edge row too.
Dim mirrored(Dim i, Dim size) { return i < size ? i : 2 * size - 1 - i; }

// Where pixel row (or column) i of the padded image reads the grid: the two tiles around it in
// the grid extended by one edge tile on each side (0 .. grid + 1), and the weight of the second.
struct Neighbours {
  std::vector<Dim> first, second;
  std::vector<float> weight;
};

Neighbours neighbours(Dim padded, Dim tile, Dim grid) {
  Neighbours n;
  const float half = static_cast<float>(static_cast<double>(tile) / 2.0), tile_f = static_cast<float>(tile);
  for (Dim i = 0; i < padded; ++i) {
    const float position = (static_cast<float>(i) - half) / tile_f + 1.0f;
    const float below = std::floor(position);
    n.weight.push_back(position - below);
    n.first.push_back(std::clamp(static_cast<Dim>(below), Dim{0}, grid + 1));
    n.second.push_back(std::clamp(static_cast<Dim>(below + 1.0f), Dim{0}, grid + 1));
  }
  return n;
}

// One tile's mapping of each bin to [0, 255], from its histogram (Keras's clip, redistribution,
// cumsum and normalization, in float32).
void map_tile(std::vector<float>& hist, float tile_area, float limit, bool clipped) {
  if (clipped) {
    float excess = 0.0f;
    for (float& h : hist) {
      const float kept = std::clamp(h, 0.0f, limit);
      excess += h - kept;
      h = kept;
    }
    const float spread = excess / 256.0f;
    for (float& h : hist) h += spread;
  }
  float sum = 0.0f;
  for (float& h : hist) h = sum += h;  // the cumulative histogram
  const float low = *std::min_element(hist.begin(), hist.end());
  float denominator = tile_area - low;
  if (denominator == 0.0f) denominator = 1.0f;
  for (float& h : hist) h = std::clamp((h - low) * 255.0f / denominator, 0.0f, 255.0f);
}

}  // namespace

Tensor clahe_equalize(const Tensor& images, const ClaheSettings& settings, const std::string& object) {
  const Dim batch = images.dim(0), height = images.dim(1), width = images.dim(2), channels = images.dim(3);
  const Dim grid_h = settings.grid_height, grid_w = settings.grid_width;
  const Dim tile_h = (height + grid_h - 1) / grid_h, tile_w = (width + grid_w - 1) / grid_w;
  const Dim pad_h = tile_h * grid_h - height, pad_w = tile_w * grid_w - width;
  if (pad_h > height || pad_w > width)
    throw Error(object + ": a tile grid of " + std::to_string(grid_h) + "x" + std::to_string(grid_w) + " pads images of " +
                std::to_string(height) + "x" + std::to_string(width) + " by more than their size, which Keras's symmetric " +
                "padding (TensorFlow's MirrorPad) refuses; use a smaller tile_grid_size");
  const float* x = images.data<float>();
  const auto pixel = [&](Dim n, Dim i, Dim j, Dim c) {
    return x[((n * height + mirrored(i, height)) * width + mirrored(j, width)) * channels + c];
  };

  // mappings[((n * grid_h + ty) * grid_w + tx) * channels + c][bin]
  const double limit = settings.clip_limit * static_cast<double>(tile_h * tile_w) / 256.0;
  std::vector<std::vector<float>> mappings(static_cast<std::size_t>(batch * grid_h * grid_w * channels));
  for (Dim n = 0; n < batch; ++n)
    for (Dim ty = 0; ty < grid_h; ++ty)
      for (Dim tx = 0; tx < grid_w; ++tx)
        for (Dim c = 0; c < channels; ++c) {
          std::vector<float>& hist = mappings[static_cast<std::size_t>(((n * grid_h + ty) * grid_w + tx) * channels + c)];
          hist.assign(kBins, 0.0f);
          for (Dim i = ty * tile_h; i < (ty + 1) * tile_h; ++i)
            for (Dim j = tx * tile_w; j < (tx + 1) * tile_w; ++j) hist[static_cast<std::size_t>(bin_of(pixel(n, i, j, c)))] += 1.0f;
          map_tile(hist, static_cast<float>(tile_h * tile_w), static_cast<float>(limit), settings.clip_limit > 0);
        }

  const Neighbours rows = neighbours(tile_h * grid_h, tile_h, grid_h), cols = neighbours(tile_w * grid_w, tile_w, grid_w);
  // A tile of the extended grid is its nearest tile of the image's grid.
  const auto mapping = [&](Dim n, Dim ty, Dim tx, Dim c, int bin) {
    const Dim y = std::clamp<Dim>(ty - 1, 0, grid_h - 1), xx = std::clamp<Dim>(tx - 1, 0, grid_w - 1);
    return mappings[static_cast<std::size_t>(((n * grid_h + y) * grid_w + xx) * channels + c)][static_cast<std::size_t>(bin)];
  };
  Tensor out(DType::Float32, images.shape());
  float* y = out.data<float>();
  for (Dim n = 0; n < batch; ++n)
    for (Dim i = 0; i < height; ++i)
      for (Dim j = 0; j < width; ++j)
        for (Dim c = 0; c < channels; ++c) {
          const int bin = bin_of(pixel(n, i, j, c));
          const auto ui = static_cast<std::size_t>(i), uj = static_cast<std::size_t>(j);
          const float wy = rows.weight[ui], wx = cols.weight[uj];
          const float top = mapping(n, rows.first[ui], cols.first[uj], c, bin) * (1.0f - wx) +
                            mapping(n, rows.first[ui], cols.second[uj], c, bin) * wx;
          const float bottom = mapping(n, rows.second[ui], cols.first[uj], c, bin) * (1.0f - wx) +
                               mapping(n, rows.second[ui], cols.second[uj], c, bin) * wx;
          y[((n * height + i) * width + j) * channels + c] = top * (1.0f - wy) + bottom * wy;
        }
  return out;
}

}  // namespace ksave::plugins::preprocessing
