#include "window.hpp"

#include "ksave/ops.hpp"

namespace ksave::plugins::onnx_export {
namespace {

std::vector<std::int64_t> tuple(const Json& config, const std::string& key, std::size_t rank,
                                const std::vector<std::int64_t>& fallback) {
  if (!config.contains(key) || config[key].is_null()) return fallback;
  const Json& v = config[key];
  if (v.is_number_integer()) return std::vector<std::int64_t>(rank, v.get<std::int64_t>());
  std::vector<std::int64_t> out = v.get<std::vector<std::int64_t>>();
  if (out.size() != rank)
    throw Error("config key '" + key + "' " + v.dump() + " has " + std::to_string(out.size()) + " entries, expected " +
                std::to_string(rank));
  return out;
}

}  // namespace

Window read_window(const Json& config, std::size_t rank, const std::string& kernel_key) {
  Window w;
  w.kernel = tuple(config, kernel_key, rank, std::vector<std::int64_t>(rank, 2));
  w.strides = tuple(config, "strides", rank, kernel_key == "pool_size" ? w.kernel : std::vector<std::int64_t>(rank, 1));
  w.dilations = tuple(config, "dilation_rate", rank, std::vector<std::int64_t>(rank, 1));
  w.padding = config.value("padding", std::string("valid"));
  return w;
}

Attributes window_attributes(const Window& w, const Shape& spatial, bool with_dilations) {
  Attributes attrs{ints_attr("kernel_shape", w.kernel), ints_attr("strides", w.strides)};
  if (with_dilations) attrs.push_back(ints_attr("dilations", w.dilations));
  const std::size_t rank = w.kernel.size();
  std::vector<std::int64_t> begins(rank, 0), ends(rank, 0);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t extent = (w.kernel[i] - 1) * w.dilations[i] + 1;
    if (w.padding == "causal") {
      begins[i] = extent - 1;
    } else if (w.padding == "same") {
      if (spatial.at(i) < 0) {
        // ONNX's SAME_UPPER is TensorFlow's rule, computed when the graph runs.
        attrs.push_back(string_attr("auto_pad", "SAME_UPPER"));
        return attrs;
      }
      const std::int64_t in = spatial[i], s = w.strides[i];
      const std::int64_t total = std::max<std::int64_t>(((in + s - 1) / s - 1) * s + extent - in, 0);
      begins[i] = total / 2;
      ends[i] = total - total / 2;
    }
  }
  std::vector<std::int64_t> pads = begins;
  pads.insert(pads.end(), ends.begin(), ends.end());
  attrs.push_back(ints_attr("pads", pads));
  return attrs;
}

Tensor spatial_last(const Tensor& kernel) {
  const auto rank = static_cast<std::int64_t>(kernel.rank());
  std::vector<std::int64_t> perm{rank - 1, rank - 2};
  for (std::int64_t i = 0; i + 2 < rank; ++i) perm.push_back(i);
  return ops::transpose(kernel, perm);
}

Shape spatial_sizes(const Shape& keras_shape, bool channels_first) {
  const std::size_t first = channels_first ? 2 : 1;
  return Shape(keras_shape.begin() + static_cast<std::ptrdiff_t>(first),
               keras_shape.begin() + static_cast<std::ptrdiff_t>(first + keras_shape.size() - 2));
}

}  // namespace ksave::plugins::onnx_export
