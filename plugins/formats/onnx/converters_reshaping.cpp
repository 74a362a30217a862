// Flatten, Reshape, Permute, RepeatVector, ZeroPadding1D/2D/3D, Cropping1D/2D/3D and
// UpSampling1D/2D/3D.
// Flatten and Reshape read elements in Keras's order, so they take their input in Keras's
// layout; padding, cropping and upsampling work on whatever layout their input is held in.
#include <algorithm>
#include <limits>

#include "converter.hpp"

namespace ksave::plugins::onnx_export {
namespace {

std::vector<Value> flatten(Conversion& c) {
  const Value& x = c.input();
  // channels_first: Keras moves the channels last first, so the flat order is channels_last's.
  const bool channels_first = c.config().value("data_format", std::string()) == "channels_first" && x.rank() > 2;
  const std::string in = c.onnx.in_layout(x, channels_first ? channels_last_perm(x.rank()) : Perm{});
  return {c.output(c.onnx.op("Flatten", {in}, c.hint(), {int_attr("axis", 1)}))};
}

std::vector<Value> reshape(Conversion& c) {
  std::vector<std::int64_t> target{0};  // 0: the batch dimension as it is
  for (const Json& d : c.config().at("target_shape")) target.push_back(d.is_null() ? -1 : d.get<std::int64_t>());
  return {c.output(c.onnx.reshape(c.onnx.in_keras_layout(c.input()), target, c.hint()))};
}

std::vector<Value> permute(Conversion& c) {
  Perm perm{0};
  for (const Json& d : c.config().at("dims")) perm.push_back(d.get<std::int64_t>());
  return {c.output(c.onnx.in_layout(c.input(), perm))};
}

std::vector<Value> repeat_vector(Conversion& c) {
  const std::int64_t n = c.config().at("n").get<std::int64_t>();
  const std::string expanded = c.onnx.unsqueeze(c.onnx.in_keras_layout(c.input()), {1}, c.hint());
  return {c.output(c.onnx.op("Tile", {expanded, c.onnx.ints({1, n, 1})}, c.hint()))};
}

std::size_t first_spatial(const Conversion& c) {
  return c.config().value("data_format", std::string()) == "channels_first" ? 2 : 1;
}

// {before, after} per spatial axis from a 1-D layer's flat pair or a 2-D/3-D layer's list of pairs.
std::vector<std::pair<std::int64_t, std::int64_t>> amounts(const Json& value) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  if (value.is_array() && value.size() == 2 && value[0].is_number_integer())
    return {{value[0].get<std::int64_t>(), value[1].get<std::int64_t>()}};
  for (const Json& pair : value) out.emplace_back(pair.at(0).get<std::int64_t>(), pair.at(1).get<std::int64_t>());
  return out;
}

std::vector<Value> zero_padding(Conversion& c) {
  const Value& x = c.input();
  std::vector<std::int64_t> pads(2 * x.rank(), 0);
  const auto per_axis = amounts(c.config().at("padding"));
  for (std::size_t i = 0; i < per_axis.size(); ++i) {
    const auto axis = static_cast<std::size_t>(onnx_axis(x.perm, static_cast<std::int64_t>(first_spatial(c) + i), x.rank()));
    pads[axis] = per_axis[i].first;
    pads[axis + x.rank()] = per_axis[i].second;
  }
  const std::string y = c.onnx.op("Pad", {c.onnx.in_layout(x, x.perm), c.onnx.ints(pads)}, c.hint(), {string_attr("mode", "constant")});
  return {c.output(y, 0, x.perm)};
}

std::vector<Value> cropping(Conversion& c) {
  const Value& x = c.input();
  std::vector<std::int64_t> starts, ends, axes;
  const auto per_axis = amounts(c.config().at("cropping"));
  for (std::size_t i = 0; i < per_axis.size(); ++i) {
    axes.push_back(onnx_axis(x.perm, static_cast<std::int64_t>(first_spatial(c) + i), x.rank()));
    starts.push_back(per_axis[i].first);
    // A negative end counts from the end; nothing cropped at the end is "to the end".
    ends.push_back(per_axis[i].second == 0 ? std::numeric_limits<std::int64_t>::max() : -per_axis[i].second);
  }
  return {c.output(c.onnx.slice(c.onnx.in_layout(x, x.perm), starts, ends, axes, c.hint()), 0, x.perm)};
}

// Nearest-neighbour upsampling repeats every element `size` times along each axis, as Keras's
// repeat_elements does. With every non-batch dimension known it is Unsqueeze, Expand and Reshape
// (one copy: ONNX Runtime runs it faster than a 5-D Resize, measured on the interop conv3d model);
// otherwise Resize with integer scales, asymmetric coordinates and floor rounding.
std::vector<Value> upsampling(Conversion& c) {
  const Value& x = c.input();
  const Json& size = c.config().at("size");
  const std::vector<std::int64_t> sizes = size.is_array() ? size.get<std::vector<std::int64_t>>()
                                                          : std::vector<std::int64_t>{size.get<std::int64_t>()};
  std::vector<std::int64_t> repeats(x.rank(), 1), held(x.rank(), kUnknown);
  for (std::size_t i = 0; i < sizes.size(); ++i)
    repeats[static_cast<std::size_t>(onnx_axis(x.perm, static_cast<std::int64_t>(first_spatial(c) + i), x.rank()))] = sizes[i];
  for (std::size_t k = 0; k < x.rank(); ++k)
    held[static_cast<std::size_t>(onnx_axis(x.perm, static_cast<std::int64_t>(k), x.rank()))] = x.shape[k];
  const std::string in = c.onnx.in_layout(x, x.perm);
  if (std::all_of(held.begin() + 1, held.end(), [](std::int64_t d) { return d != kUnknown; })) {
    std::vector<std::int64_t> new_axes, expand_to, target{0};  // 0: the batch dimension as it is
    for (std::size_t j = 0; j < x.rank(); ++j) {
      expand_to.push_back(1);
      if (j > 0) target.push_back(held[j] * repeats[j]);
      if (repeats[j] == 1) continue;
      new_axes.push_back(static_cast<std::int64_t>(expand_to.size()));
      expand_to.push_back(repeats[j]);
    }
    if (new_axes.empty()) return {c.output(c.onnx.op("Identity", {in}, c.hint()), 0, x.perm)};
    const std::string spread = c.onnx.unsqueeze(in, new_axes, c.hint());
    const std::string copied = c.onnx.op("Expand", {spread, c.onnx.ints(expand_to)}, c.hint());
    return {c.output(c.onnx.reshape(copied, target, c.hint()), 0, x.perm)};
  }
  std::vector<float> scales(repeats.begin(), repeats.end());
  const std::string scale_values = c.onnx.graph().constant(Tensor::from_vector(scales, {static_cast<Dim>(scales.size())}), "scales");
  const std::string y = c.onnx.op("Resize", {in, "", scale_values}, c.hint(),
                                  {string_attr("mode", "nearest"), string_attr("coordinate_transformation_mode", "asymmetric"),
                                   string_attr("nearest_mode", "floor")});
  return {c.output(y, 0, x.perm)};
}

std::string upsampling_problem(const Layer&, const Json& config) {
  const std::string interpolation = config.value("interpolation", std::string("nearest"));
  return interpolation == "nearest" ? "" : "interpolation '" + interpolation + "' is not exported (only nearest)";
}

}  // namespace

void add_reshaping_converters(ConverterTable& t) {
  t["Flatten"] = {flatten, {}};
  t["Reshape"] = {reshape, {}};
  t["Permute"] = {permute, {}};
  t["RepeatVector"] = {repeat_vector, {}};
  for (const char* dims : {"1D", "2D", "3D"}) {
    t[std::string("ZeroPadding") + dims] = {zero_padding, {}};
    t[std::string("Cropping") + dims] = {cropping, {}};
    t[std::string("UpSampling") + dims] = {upsampling, upsampling_problem};
  }
}

}  // namespace ksave::plugins::onnx_export
