// TimeDistributed: the wrapped layer applied to every step, with time folded into the batch
// ((batch, time, ...) → (batch·time, ...)) for one call of the inner layer's converter, as
// ksave's layer does. SpectralNormalization: the wrapped layer (at inference its kernel is used
// as stored). Keras 3's Pipeline: its layers' converters in turn, each on the one before's output.
#include "converter.hpp"

namespace ksave::plugins::onnx_export {
namespace {

LayerPtr wrapped_layer(const Conversion& c) {
  for (const auto& [name, layer] : c.layer().tracked_layers())
    if (name == "layer") return layer;
  throw Error(c.describe() + " wraps no layer");
}

std::vector<Value> time_distributed(Conversion& c) {
  const Value& x = c.input();
  const LayerPtr inner = wrapped_layer(c);
  const std::string in = c.onnx.in_keras_layout(x);
  const std::string folded_shape = c.onnx.concat({c.onnx.ints({-1}), c.onnx.dims(in, 2, static_cast<std::int64_t>(x.rank()), c.hint())}, 0, c.hint());
  Value step{c.onnx.op("Reshape", {in, folded_shape}, c.hint()), Shape{kUnknown}, x.dtype, {}, ""};
  step.shape.insert(step.shape.end(), x.shape.begin() + 2, x.shape.end());
  const Shape& out_shape = c.call.output_shapes.at(0);
  Shape inner_shape{kUnknown};
  inner_shape.insert(inner_shape.end(), out_shape.begin() + 2, out_shape.end());
  const std::vector<Value> y = c.convert_inner(*inner, {step}, {inner_shape}, c.hint(inner->name()));
  std::vector<std::int64_t> rest;
  for (std::size_t i = 2; i < out_shape.size(); ++i) rest.push_back(out_shape[i] < 0 ? -1 : out_shape[i]);
  const std::string unfolded_shape = c.onnx.concat({c.onnx.dims(in, 0, 2, c.hint()), c.onnx.ints(rest)}, 0, c.hint());
  return {c.output(c.onnx.op("Reshape", {c.onnx.in_keras_layout(y.at(0)), unfolded_shape}, c.hint()))};
}

std::vector<Value> spectral_normalization(Conversion& c) {
  const LayerPtr inner = wrapped_layer(c);
  return c.convert_inner(*inner, {c.input()}, c.call.output_shapes, c.hint(inner->name()));
}

// The layers in tracking order, which is the pipeline's (they are tracked as they are listed).
std::vector<Value> pipeline(Conversion& c) {
  std::vector<Value> x{c.input()};
  for (const auto& [attribute, layer] : c.layer().tracked_layers()) {
    std::vector<Shape> shapes;
    for (const Value& v : x) shapes.push_back(v.shape);
    x = c.convert_inner(*layer, x, layer->output_shapes(shapes), c.hint(layer->name()));
  }
  return x;
}

}  // namespace

void add_wrapper_converters(ConverterTable& t) {
  t["TimeDistributed"] = {time_distributed, {}, true};
  t["SpectralNormalization"] = {spectral_normalization, {}, true};
  t["Pipeline"] = {pipeline, {}, true};
}

}  // namespace ksave::plugins::onnx_export
