// LocallyConnected1D/2D (channels_last): the input's windows gathered into patches (batch, P,
// K · channels), one MatMul per output position against the stored kernel brought into the
// (P, K · channels, filters) form whatever its implementation's layout, the bias and the
// activation: the same tables and steps as the layer (../../layers/common/local_windows.hpp).
#include "../../layers/common/local_windows.hpp"
#include "activations.hpp"
#include "converter.hpp"

namespace ksave::plugins::onnx_export {
namespace {

std::vector<std::int64_t> config_ints(const Json& v) {
  std::vector<std::int64_t> out;
  for (const Json& d : v) out.push_back(d.get<std::int64_t>());
  return out;
}

std::vector<Value> locally_connected(Conversion& c) {
  const Value& x = c.input();
  const Json& config = c.config();
  local_windows::Geometry g;
  g.input.assign(x.shape.begin() + 1, x.shape.end() - 1);
  for (Dim d : g.input)
    if (d <= 0) throw Error(c.describe() + ": the spatial axes of the input must be known");
  g.kernel = config_ints(config.at("kernel_size"));
  g.strides = config_ints(config.at("strides"));
  g.same = config.value("padding", "valid") == "same";
  g.in_channels = x.shape.back();
  g.filters = config.at("filters").get<std::int64_t>();
  const std::int64_t implementation = config.value("implementation", 1);
  const local_windows::Indices indices(g, implementation);
  const std::int64_t P = g.positions(), KC = g.window() * g.in_channels;
  auto& onnx = c.onnx;
  const std::string flat = onnx.reshape(onnx.float_in_layout(x, {}), {0, g.input_positions(), g.in_channels}, c.hint());
  const std::string gathered = onnx.op("Gather", {flat, onnx.graph().constant(indices.patch_inputs, c.hint("windows"))},
                                       c.hint(), {int_attr("axis", 1)});
  const std::string patches = onnx.transpose(onnx.reshape(gathered, {0, P, KC}, c.hint()), {1, 0, 2}, c.hint());
  const std::string kernels = c.weight_value(c.weight("kernel"), "per_position", [&](const Tensor& kernel) {
    return local_windows::position_kernels(kernel, implementation, g, indices);
  });
  std::vector<std::int64_t> out_shape{-1};
  for (std::int64_t d : g.output()) out_shape.push_back(d);
  out_shape.push_back(g.filters);
  std::string y = onnx.reshape(onnx.transpose(onnx.op("MatMul", {patches, kernels}, c.hint()), {1, 0, 2}, c.hint()),
                               out_shape, c.hint());
  if (const VariablePtr bias = config.value("use_bias", true) ? c.find_weight("bias") : nullptr)
    y = onnx.op("Add", {y, c.weight_value(bias)}, c.hint());
  const auto rank = static_cast<std::int64_t>(out_shape.size());
  y = emit_activation(onnx, activation_name(config.value("activation", Json())), y, rank - 1, c.hint());
  return {c.output(y)};
}

std::string channels_first_refused(const Layer&, const Json& config) {
  return config.value("data_format", "channels_last") == "channels_last" ? "" : "channels_first is not supported";
}

}  // namespace

void add_locally_connected_converters(ConverterTable& t) {
  t["LocallyConnected1D"] = {locally_connected, channels_first_refused};
  t["LocallyConnected2D"] = {locally_connected, channels_first_refused};
}

}  // namespace ksave::plugins::onnx_export
