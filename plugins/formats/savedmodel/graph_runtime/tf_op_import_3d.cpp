#include "tf_op_import_3d.hpp"

#include <cctype>

#include "../../../layers/common/conv3d.hpp"
#include "ksave/error.hpp"

namespace ksave::plugins::savedmodel {
namespace {

using Ints = std::vector<std::int64_t>;

// The (depth, height, width) entries of an NDHWC attribute (strides, ksize, dilations).
Ints spatial_of(const TfOpCall& call, const char* name, bool required) {
  if (!call.attrs.has(name)) {
    if (required) throw Error(call.where + " (" + call.node.op() + "): attribute " + name + " is missing");
    return {1, 1, 1};
  }
  const Ints v = call.attrs.get<Ints>(name);
  if (v.size() != 5 || v[0] != 1 || v[4] != 1)
    throw Error(call.where + " (" + call.node.op() + "): " + name + " must be [1, d, h, w, 1] (NDHWC), found " +
                std::to_string(v.size()) + " values");
  return {v[1], v[2], v[3]};
}

spatial::Window3D window_of(const TfOpCall& call) {
  if (call.attrs.get_or<std::string>("data_format", "NDHWC") != "NDHWC")
    throw Error(call.where + " (" + call.node.op() + "): only the NDHWC data format is supported");
  std::string padding = call.attrs.get<std::string>("padding");
  if (padding != "SAME" && padding != "VALID")
    throw Error(call.where + " (" + call.node.op() + "): padding must be SAME or VALID, found " + padding);
  for (char& ch : padding) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return {padding, spatial_of(call, "strides", true), spatial_of(call, "dilations", false)};
}

Tensors conv3d(const TfOpCall& call) {
  expect_inputs(call, 2);
  return {spatial::conv3d(call.inputs[0].as_float(), call.inputs[1].as_float(), window_of(call))};
}

// Conv3DBackpropInputV2(input_sizes, filter, out_backprop): the transposed convolution.
Tensors conv3d_backprop_input(const TfOpCall& call) {
  expect_inputs(call, 3);
  const Ints sizes = int_values(call.inputs[0], call.where + " input_sizes");
  return {spatial::conv3d_transpose(call.inputs[2].as_float(), call.inputs[1].as_float(), Shape(sizes.begin(), sizes.end()),
                                    window_of(call))};
}

TfOpImporter pool3d(bool max) {
  return {[max](const TfOpCall& call) {
            expect_inputs(call, 1);
            const spatial::Window3D w = window_of(call);
            return Tensors{spatial::pool3d(call.inputs[0].as_float(), spatial_of(call, "ksize", true), w.strides, w.padding, max)};
          },
          {}};
}

// Any(x, reduction_indices, keep_dims): a bool reduction, as the max of the values as 0/1.
Tensors any(const TfOpCall& call) {
  expect_inputs(call, 2);
  const Ints axes = int_values(call.inputs[1], call.where + " reduction_indices");
  const Tensor x = call.inputs[0].cast(DType::Float32);
  if (axes.empty()) return {call.inputs[0]};
  const Tensor largest = ops::max(x, axes, call.attrs.get_or<bool>("keep_dims", false));
  return {ops::greater(largest, Tensor::scalar(0.0f)).cast(DType::Bool)};
}

}  // namespace

void add_3d_importers(std::map<std::string, TfOpImporter>& table) {
  table["Conv3D"] = {conv3d, {}};
  table["Conv3DBackpropInputV2"] = {conv3d_backprop_input, {}};
  table["MaxPool3D"] = pool3d(true);
  table["AvgPool3D"] = pool3d(false);
  table["Any"] = {any, {}};
}

}  // namespace ksave::plugins::savedmodel
