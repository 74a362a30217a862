#include "window_geometry.hpp"

#include <algorithm>
#include <array>

#include "kernel_util.hpp"

namespace ksave::detail {

namespace {

// [1, h, w, 1] attribute (TensorFlow's NHWC form); missing means all ones.
std::pair<std::int64_t, std::int64_t> spatial_pair(const Attrs& attrs, const char* name,
                                                   const char* op) {
  if (!attrs.has(name)) return {1, 1};
  const auto& v = attr<std::vector<std::int64_t>>(attrs, name, op);
  if (v.size() != 4 || v[0] != 1 || v[3] != 1 || v[1] < 1 || v[2] < 1)
    throw Error(std::string(op) + ": attribute '" + name +
                "' must be [1, h, w, 1] with positive h and w, got " + ints_str(v));
  return {v[1], v[2]};
}

// Output size and padding before, for one spatial axis.
void place_axis(std::int64_t in, std::int64_t k, std::int64_t stride, std::int64_t dilation,
                const std::string& padding, std::int64_t explicit_before,
                std::int64_t explicit_after, std::int64_t& out, std::int64_t& pad_before,
                const char* op) {
  const std::int64_t effective = (k - 1) * dilation + 1;
  if (padding == "VALID") {
    pad_before = 0;
    out = in >= effective ? (in - effective) / stride + 1 : 0;
  } else if (padding == "SAME") {
    out = (in + stride - 1) / stride;
    const std::int64_t total = std::max<std::int64_t>((out - 1) * stride + effective - in, 0);
    pad_before = total / 2;
  } else if (padding == "EXPLICIT") {
    if (explicit_before < 0 || explicit_after < 0)
      throw Error(std::string(op) + ": explicit paddings must be non-negative");
    pad_before = explicit_before;
    const std::int64_t padded = in + explicit_before + explicit_after;
    out = padded >= effective ? (padded - effective) / stride + 1 : 0;
  } else {
    throw Error(std::string(op) + ": padding must be SAME, VALID or EXPLICIT, got '" + padding +
                "'");
  }
}

}  // namespace

WindowGeometry window_geometry(const Shape& input, std::int64_t k_h, std::int64_t k_w,
                               const Attrs& attrs, const char* op, bool with_dilations) {
  if (input.size() != 4)
    throw Error(std::string(op) + ": expected an NHWC input of rank 4, got " +
                shape_to_string(input));
  const std::string format = attr_or<std::string>(attrs, "data_format", "NHWC", op);
  if (format != "NHWC")
    throw Error(std::string(op) + ": only data_format NHWC is supported, got '" + format + "'");
  if (k_h < 1 || k_w < 1)
    throw Error(std::string(op) + ": window must be at least 1 x 1, got " + std::to_string(k_h) +
                " x " + std::to_string(k_w));
  WindowGeometry g;
  g.batch = input[0];
  g.in_h = input[1];
  g.in_w = input[2];
  g.channels = input[3];
  g.k_h = k_h;
  g.k_w = k_w;
  std::tie(g.stride_h, g.stride_w) = spatial_pair(attrs, "strides", op);
  if (with_dilations) std::tie(g.dilation_h, g.dilation_w) = spatial_pair(attrs, "dilations", op);
  const std::string padding = attr<std::string>(attrs, "padding", op);
  // On the stack: the geometry is computed on every call.
  std::array<std::int64_t, 8> explicit_pads{};
  if (padding == "EXPLICIT") {
    const auto& given = attr<std::vector<std::int64_t>>(attrs, "explicit_paddings", op);
    if (given.size() != 8)
      throw Error(std::string(op) + ": explicit_paddings must hold 8 NHWC values, got " + ints_str(given));
    std::copy(given.begin(), given.end(), explicit_pads.begin());
  }
  place_axis(g.in_h, k_h, g.stride_h, g.dilation_h, padding, explicit_pads[2], explicit_pads[3],
             g.out_h, g.pad_top, op);
  place_axis(g.in_w, k_w, g.stride_w, g.dilation_w, padding, explicit_pads[4], explicit_pads[5],
             g.out_w, g.pad_left, op);
  return g;
}

Shape shape_attr(const Attrs& attrs, const char* name, std::size_t rank, const char* op) {
  const auto& v = attr<std::vector<std::int64_t>>(attrs, name, op);
  if (v.size() != rank || std::any_of(v.begin(), v.end(), [](std::int64_t d) { return d < 0; }))
    throw Error(std::string(op) + ": attribute '" + name + "' must hold " + std::to_string(rank) +
                " non-negative sizes, got " + ints_str(v));
  return Shape(v.begin(), v.end());
}

}  // namespace ksave::detail
