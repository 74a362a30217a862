// Conv1D/2D/3D, Conv1DTranspose/2D/3D, DepthwiseConv1D/2D and SeparableConv1D/2D as
// ONNX Conv and ConvTranspose (ONNX's operators take any number of spatial axes). ONNX convolves channels-first tensors: a channels_last layer takes its input
// held channels-first and leaves its output so, and the next layer that needs Keras's layout
// (Flatten, Dense on a non-last axis, the graph's outputs) transposes it back.
#include "activations.hpp"
#include "converter.hpp"
#include "ksave/ops.hpp"
#include "window.hpp"

namespace ksave::plugins::onnx_export {
namespace {

bool channels_first(const Conversion& c) { return c.config().value("data_format", std::string()) == "channels_first"; }

// The layout a window layer computes in: ONNX's channels-first, which a channels_first layer's
// Keras tensor already is.
Perm compute_layout(const Conversion& c) {
  return channels_first(c) ? Perm{} : channels_first_perm(c.input().rank());
}

// The permutation exchanging the last two axes of a tensor of `rank`.
Perm swap_last_two(int rank) {
  Perm perm;
  for (int i = 0; i < rank; ++i) perm.push_back(i);
  std::swap(perm[static_cast<std::size_t>(rank - 1)], perm[static_cast<std::size_t>(rank - 2)]);
  return perm;
}

// Bias and activation after the operator, then the output in the compute layout.
std::vector<Value> finish(Conversion& c, const std::vector<std::string>& op_inputs, const std::string& type,
                          Attributes attrs, const Perm& layout) {
  std::vector<std::string> inputs = op_inputs;
  if (c.config().value("use_bias", true)) inputs.push_back(c.weight_value(c.weight("bias")));
  const std::string y = c.onnx.op(type, inputs, c.hint(), std::move(attrs));
  const std::string activated = emit_activation(c.onnx, activation_name(c.config().value("activation", Json())), y,
                                                onnx_axis(layout, -1, c.input().rank()), c.hint());
  return {c.output(activated, 0, layout)};
}

std::vector<Value> conv(Conversion& c) {
  const Perm layout = compute_layout(c);
  const std::size_t spatial_rank = c.input().rank() - 2;
  const Window window = read_window(c.config(), spatial_rank, "kernel_size");
  Attributes attrs = window_attributes(window, spatial_sizes(c.input().shape, channels_first(c)), true);
  attrs.push_back(int_attr("group", c.config().value("groups", std::int64_t{1})));
  const std::string kernel = c.weight_value(c.weight("kernel"), "OIHW", spatial_last);
  return finish(c, {c.onnx.float_in_layout(c.input(), layout), kernel}, "Conv", std::move(attrs), layout);
}

// A depthwise kernel (spatial..., C, M) as a grouped Conv's (C·M, 1, spatial...): output channel
// c·M + m is input channel c through kernel[..., c, m].
Tensor depthwise_kernel(const Tensor& kernel) {
  const Tensor cm_first = spatial_last(ops::transpose(kernel, swap_last_two(kernel.rank())));
  Shape grouped{kernel.dim(kernel.rank() - 2) * kernel.dim(kernel.rank() - 1), 1};
  for (int i = 0; i + 2 < kernel.rank(); ++i) grouped.push_back(kernel.dim(i));
  return cm_first.clone().reshape(grouped);
}

// The grouped Conv that is the depthwise half of DepthwiseConv and SeparableConv, without bias.
std::vector<std::string> depthwise_inputs(Conversion& c, const std::string& x) {
  return {x, c.weight_value(c.weight("depthwise_kernel"), "depthwise", depthwise_kernel)};
}

Attributes depthwise_attributes(const Conversion& c) {
  const std::size_t spatial_rank = c.input().rank() - 2;
  const Window window = read_window(c.config(), spatial_rank, "kernel_size");
  Attributes attrs = window_attributes(window, spatial_sizes(c.input().shape, channels_first(c)), true);
  attrs.push_back(int_attr("group", c.weight("depthwise_kernel")->shape().at(spatial_rank)));
  return attrs;
}

std::vector<Value> depthwise_conv(Conversion& c) {
  const Perm layout = compute_layout(c);
  return finish(c, depthwise_inputs(c, c.onnx.float_in_layout(c.input(), layout)), "Conv", depthwise_attributes(c), layout);
}

std::vector<Value> separable_conv(Conversion& c) {
  const Perm layout = compute_layout(c);
  const std::string d = c.onnx.op("Conv", depthwise_inputs(c, c.onnx.float_in_layout(c.input(), layout)),
                                  c.hint("depthwise"), depthwise_attributes(c));
  const std::string pointwise = c.weight_value(c.weight("pointwise_kernel"), "OIHW", spatial_last);
  const std::vector<std::int64_t> ones(c.input().rank() - 2, 1);
  return finish(c, {d, pointwise}, "Conv", {ints_attr("kernel_shape", ones)}, layout);
}

// Conv1DTranspose/2D/3D: TensorFlow's Conv2DBackpropInput (Conv3DBackpropInputV2) for Keras's output size O. Its first output
// row is `before` rows into the full transposed convolution, where `before` is what a SAME
// forward convolution of O would pad first; ONNX's pads crop the full result at both ends, and
// its output_padding adds rows at the end where O is longer than the full result.
std::vector<Value> conv_transpose(Conversion& c) {
  const Perm layout = compute_layout(c);
  const std::size_t spatial_rank = c.input().rank() - 2;
  const Window window = read_window(c.config(), spatial_rank, "kernel_size");
  const Json& config = c.config();
  std::vector<std::int64_t> begins, ends, output_padding;
  for (std::size_t i = 0; i < spatial_rank; ++i) {
    const std::int64_t extent = (window.kernel[i] - 1) * window.dilations[i] + 1, s = window.strides[i];
    // D = s·(in - 1) + extent - O, which Keras's output size makes independent of `in`.
    std::int64_t d = 0;
    if (config.contains("output_padding") && config["output_padding"].is_array()) {
      const std::int64_t pad = window.padding == "same" ? extent / 2 : 0;
      d = 2 * pad - config["output_padding"][i].get<std::int64_t>();
    } else {
      d = window.padding == "same" ? extent - s : std::min<std::int64_t>(extent - s, 0);
    }
    const std::int64_t before = window.padding == "same" ? std::max<std::int64_t>(d, 0) / 2 : 0;
    begins.push_back(before);
    ends.push_back(std::max<std::int64_t>(d - before, 0));
    output_padding.push_back(std::max<std::int64_t>(before - d, 0));
  }
  std::vector<std::int64_t> pads = begins;
  pads.insert(pads.end(), ends.begin(), ends.end());
  Attributes attrs{ints_attr("kernel_shape", window.kernel), ints_attr("strides", window.strides),
                   ints_attr("dilations", window.dilations), ints_attr("pads", pads),
                   ints_attr("output_padding", output_padding)};
  // Keras's kernel (kh, kw, filters, in) is ONNX's ConvTranspose weight (in, filters, kh, kw).
  const std::string kernel = c.weight_value(c.weight("kernel"), "IOHW", spatial_last);
  return finish(c, {c.onnx.float_in_layout(c.input(), layout), kernel}, "ConvTranspose", std::move(attrs), layout);
}

}  // namespace

void add_conv_converters(ConverterTable& t) {
  for (const char* dims : {"1D", "2D"}) {
    t[std::string("Conv") + dims] = {conv, {}};
    t[std::string("DepthwiseConv") + dims] = {depthwise_conv, {}};
    t[std::string("SeparableConv") + dims] = {separable_conv, {}};
    t[std::string("Conv") + dims + "Transpose"] = {conv_transpose, {}};
  }
  t["Conv3D"] = {conv, {}};
  t["Conv3DTranspose"] = {conv_transpose, {}};
}

}  // namespace ksave::plugins::onnx_export
