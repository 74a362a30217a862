// ConvLSTM1D/2D/3D as an ONNX Scan over the time axis (ONNX has no ConvLSTM operator), computing
// what ksave's layer computes: the input convolution of every step at once before the loop (the
// steps folded into the batch), and a body of one step: the recurrent convolution of h (SAME,
// stride 1), the gates i, f, c, o split from the channels, the LSTM update. ONNX's Conv is
// channels-first, so each convolution transposes around it; the states stay in Keras's layout.
// Exported for known steps and spatial sizes, without masks.
#include "activations.hpp"
#include "converter.hpp"
#include "window.hpp"

namespace ksave::plugins::onnx_export {
namespace {

// A convolution of a channels-last value x (batch, spatial..., channels) by an ONNX kernel.
std::string conv_channels_last(Emitter& e, const std::string& x, const std::string& kernel, const std::string& bias,
                               Attributes attrs, std::size_t spatial_rank, const std::string& hint) {
  const std::size_t rank = spatial_rank + 2;
  std::vector<std::string> inputs{e.transpose(x, channels_first_perm(rank), hint), kernel};
  if (!bias.empty()) inputs.push_back(bias);
  return e.transpose(e.op("Conv", inputs, hint, std::move(attrs)), channels_last_perm(rank), hint);
}

std::string keras_activation(const Json& config, const char* key, const char* fallback) {
  return activation_name(config.value(key, Json(fallback)));
}

std::vector<Value> conv_lstm(Conversion& c) {
  const Value& x = c.input();
  if (!x.mask.empty()) throw Error(c.describe() + ": a mask reaching a ConvLSTM layer has no ONNX form here");
  const Json& config = c.config();
  const std::size_t spatial_rank = x.rank() - 3;
  const std::int64_t filters = config.at("filters").get<std::int64_t>();
  const Window window = read_window(config, spatial_rank, "kernel_size");
  const Shape in_spatial(x.shape.begin() + 2, x.shape.end() - 1);
  const Dim steps = x.shape.at(1), channels = x.shape.back();
  Shape out_spatial;
  for (std::size_t i = 0; i < spatial_rank; ++i) {
    const std::int64_t extent = (window.kernel[i] - 1) * window.dilations[i] + 1, s = window.strides[i];
    out_spatial.push_back(window.padding == "same" ? (in_spatial[i] + s - 1) / s : (in_spatial[i] - extent + s) / s);
  }
  const std::string hint = c.hint();

  // Every step's input convolution: (batch, time, spatial..., C) → (batch·time, ...) and back.
  std::vector<std::int64_t> folded{-1};  // ONNX Reshape targets
  folded.insert(folded.end(), in_spatial.begin(), in_spatial.end());
  folded.push_back(channels);
  const std::string bias = config.value("use_bias", true) ? c.weight_value(c.weight("bias")) : std::string();
  std::string projected = conv_channels_last(
      c.onnx, c.onnx.reshape(c.onnx.float_in_layout(x, {}), folded, hint),
      c.weight_value(c.weight("kernel"), "OIHW", spatial_last), bias,
      window_attributes(window, in_spatial, true), spatial_rank, hint);
  std::vector<std::int64_t> unfolded{-1, steps};
  unfolded.insert(unfolded.end(), out_spatial.begin(), out_spatial.end());
  unfolded.push_back(4 * filters);
  projected = c.onnx.reshape(projected, unfolded, hint);

  // Initial states: the call's extra inputs, else zeros of the state shape.
  std::vector<std::int64_t> state_rest(out_spatial.begin(), out_spatial.end());
  state_rest.push_back(filters);
  std::vector<std::string> initial;
  for (std::size_t i = 1; i < 3; ++i)
    initial.push_back(i < c.call.inputs.size() ? c.onnx.float_in_layout(c.call.inputs[i], {})
                                               : c.onnx.zeros_with_batch(c.onnx.float_in_layout(x, {}), state_rest, hint + "/zeros"));

  proto::GraphProto body_proto;
  GraphBuilder body(body_proto, c.onnx.graph());
  body_proto.set_name(body.unique_name(hint + "/step"));
  Emitter e(body);
  const std::string step_hint = hint + "/step";
  Shape state_shape{kUnknown};
  state_shape.insert(state_shape.end(), state_rest.begin(), state_rest.end());
  Shape projected_shape = state_shape;
  projected_shape.back() = 4 * filters;
  const std::string h = body.unique_name(step_hint + "/h_in"), carry = body.unique_name(step_hint + "/c_in");
  const std::string p = body.unique_name(step_hint + "/projected");
  body.add_input(h, DType::Float32, state_shape, false);
  body.add_input(carry, DType::Float32, state_shape, false);
  body.add_input(p, DType::Float32, projected_shape, false);
  const Window recurrent{window.kernel, std::vector<std::int64_t>(spatial_rank, 1), std::vector<std::int64_t>(spatial_rank, 1),
                         "same"};
  const std::string recurrent_kernel = c.weight_value(c.weight("recurrent_kernel"), "OIHW", spatial_last);
  const std::string z = e.op("Add", {p, conv_channels_last(e, h, recurrent_kernel, "", window_attributes(recurrent, out_spatial, true),
                                                            spatial_rank, step_hint)}, step_hint);
  const auto last_axis = static_cast<std::int64_t>(spatial_rank + 1);
  const auto g = body.add_node("Split", {z, e.ints({filters, filters, filters, filters})}, 4,
                               {int_attr("axis", last_axis)}, step_hint);
  const std::string gate_fn = keras_activation(config, "recurrent_activation", "hard_sigmoid");
  const std::string act_fn = keras_activation(config, "activation", "tanh");
  const auto act = [&](const std::string& name, const std::string& v) { return emit_activation(e, name, v, last_axis, step_hint); };
  const std::string i = act(gate_fn, g[0]), f = act(gate_fn, g[1]), candidate = act(act_fn, g[2]), o = act(gate_fn, g[3]);
  const std::string c_next = e.op("Add", {e.op("Mul", {f, carry}, step_hint), e.op("Mul", {i, candidate}, step_hint)}, step_hint);
  const std::string h_next = e.op("Mul", {o, act(act_fn, c_next)}, step_hint);
  // A scan output is a value of its own, even when it equals a state.
  for (const std::string& name : {h_next, c_next, e.op("Identity", {h_next}, step_hint)})
    body.add_output(name, DType::Float32, state_shape, false);

  const bool backwards = config.value("go_backwards", false);
  std::vector<std::string> inputs = initial;
  inputs.push_back(projected);
  Attributes attrs{graph_attr("body", std::move(body_proto)), int_attr("num_scan_inputs", 1),
                   ints_attr("scan_input_axes", {1}), ints_attr("scan_input_directions", {backwards ? 1 : 0}),
                   ints_attr("scan_output_axes", {1}), ints_attr("scan_output_directions", {0})};
  const auto outs = c.onnx.graph().add_node("Scan", inputs, 3, std::move(attrs), hint);

  // Outputs in processing order (reversed in time for go_backwards), as Keras returns them.
  std::vector<Value> result{c.output(config.value("return_sequences", false) ? outs[2] : outs[0], 0)};
  if (config.value("return_state", false)) {
    result.push_back(c.output(outs[0], 1));
    result.push_back(c.output(outs[1], 2));
  }
  return result;
}

// Known steps and spatial sizes (the folded input convolution and the states need them).
std::string conv_lstm_unsupported(const Layer& layer, const Json&) {
  for (const Shape& shape : layer.build_input_shapes().value_or(std::vector<Shape>{}))
    for (std::size_t axis = 1; axis < shape.size(); ++axis)
      if (shape[axis] < 0) return "exported for known steps and spatial sizes only, found input " + shape_to_string(shape);
  return "";
}

}  // namespace

void add_conv_lstm_converters(ConverterTable& t) {
  for (const char* name : {"ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}) t[name] = {conv_lstm, conv_lstm_unsupported};
}

}  // namespace ksave::plugins::onnx_export
