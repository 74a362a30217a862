// BatchNormalization (inference: the moving statistics) and LayerNormalization, as ksave's layers
// compute them: (x - mean) · (rsqrt(var + epsilon) · gamma) + beta. BatchNormalization over the
// axis a layout holds at ONNX axis 1 (a convolution's channels) is ONNX's BatchNormalization;
// otherwise, and for LayerNormalization before opset 17, the formula is written out.
#include <algorithm>

#include "converter.hpp"
#include "ksave/ops.hpp"

namespace ksave::plugins::onnx_export {
namespace {

// Normalized Keras axes from a config's "axis" (an int or a list; negative from the end).
std::vector<std::int64_t> normalized_axes(const Json& config, std::size_t rank) {
  const Json axis = config.value("axis", Json(-1));
  std::vector<std::int64_t> axes;
  for (const Json& a : axis.is_array() ? axis : Json::array({axis})) {
    const std::int64_t v = a.get<std::int64_t>();
    axes.push_back(v < 0 ? v + static_cast<std::int64_t>(rank) : v);
  }
  std::sort(axes.begin(), axes.end());
  return axes;
}

// A parameter shaped like the normalized axes (gamma, moving_mean, ...), reshaped and laid out
// to broadcast against the ONNX tensor holding the input in `perm`.
std::string broadcast_parameter(Conversion& c, const Tensor& value, const std::string& tag,
                                const std::vector<std::int64_t>& axes, const Shape& input_shape, const Perm& perm) {
  const std::size_t rank = input_shape.size();
  Shape keras_shape(rank, 1);
  for (std::int64_t a : axes) keras_shape[static_cast<std::size_t>(a)] = input_shape[static_cast<std::size_t>(a)];
  Tensor shaped = value.clone().reshape(keras_shape);
  if (!perm.empty()) shaped = ops::transpose(shaped, perm);
  return c.onnx.graph().constant(shaped, c.hint(tag));
}

// y = (x - mean) · inv + beta with inv = rsqrt(var + epsilon) · gamma, on x held in `perm`.
std::string written_out(Conversion& c, const std::string& x, const std::string& mean, const std::string& inv,
                        const std::string& beta) {
  std::string y = c.onnx.op("Mul", {c.onnx.op("Sub", {x, mean}, c.hint()), inv}, c.hint());
  return beta.empty() ? y : c.onnx.op("Add", {y, beta}, c.hint());
}

// rsqrt(variance + epsilon) · gamma, in float32 as ksave's layer computes it.
Tensor scale_of(const Tensor& variance, const Tensor* gamma, double epsilon) {
  Tensor inv = ops::rsqrt(ops::add(variance, epsilon));
  return gamma ? ops::mul(inv, *gamma) : inv;
}

std::vector<Value> batch_normalization(Conversion& c) {
  const Value& x = c.input();
  const std::vector<std::int64_t> axes = normalized_axes(c.config(), x.rank());
  const double epsilon = c.config().value("epsilon", 1e-3);
  const VariablePtr gamma = c.find_weight("gamma"), beta = c.find_weight("beta");
  const Tensor mean = c.weight("moving_mean")->value().as_float();
  const Tensor variance = c.weight("moving_variance")->value().as_float();
  const bool channel_axis = axes.size() == 1 && x.rank() >= 2 && onnx_axis(x.perm, axes[0], x.rank()) == 1;
  if (channel_axis) {
    const std::string in = c.onnx.float_in_layout(x, x.perm);
    const Dim channels = mean.size();
    const std::string scale = gamma ? c.weight_value(gamma) : c.onnx.graph().constant(Tensor::filled(DType::Float32, {channels}, 1.0), "ones");
    const std::string bias = beta ? c.weight_value(beta) : c.onnx.graph().constant(Tensor::filled(DType::Float32, {channels}, 0.0), "zeros");
    const std::string y = c.onnx.op("BatchNormalization",
                                    {in, scale, bias, c.weight_value(c.weight("moving_mean")), c.weight_value(c.weight("moving_variance"))},
                                    c.hint(), {float_attr("epsilon", epsilon)});
    return {c.output(y, 0, x.perm)};
  }
  const Perm perm = spelled_out(x.perm, x.rank());
  const Tensor gamma_value = gamma ? gamma->value().as_float() : Tensor();
  const Tensor inv = scale_of(variance, gamma ? &gamma_value : nullptr, epsilon);
  const std::string in = c.onnx.float_in_layout(x, x.perm);
  const std::string mean_c = broadcast_parameter(c, mean, "mean", axes, x.shape, perm);
  const std::string inv_c = broadcast_parameter(c, inv, "scale", axes, x.shape, perm);
  const std::string beta_c = beta ? broadcast_parameter(c, beta->value().as_float(), "beta", axes, x.shape, perm) : "";
  return {c.output(written_out(c, in, mean_c, inv_c, beta_c), 0, x.perm)};
}

// The normalized ONNX axes, when they are the trailing ones in order (what ONNX's
// LayerNormalization normalizes); empty otherwise.
std::vector<std::int64_t> trailing_axes(const std::vector<std::int64_t>& keras_axes, const Perm& perm, std::size_t rank) {
  std::vector<std::int64_t> axes;
  for (std::int64_t a : keras_axes) axes.push_back(onnx_axis(perm, a, rank));
  for (std::size_t i = 0; i < axes.size(); ++i)
    if (axes[i] != static_cast<std::int64_t>(rank - axes.size() + i)) return {};
  return axes;
}

std::vector<Value> layer_normalization(Conversion& c) {
  const Value& x = c.input();
  const std::size_t rank = x.rank();
  const std::vector<std::int64_t> axes = normalized_axes(c.config(), rank);
  const double epsilon = c.config().value("epsilon", 1e-3);
  const VariablePtr gamma = c.find_weight("gamma"), beta = c.find_weight("beta");
  const Perm perm = spelled_out(x.perm, rank);
  const std::string in = c.onnx.float_in_layout(x, x.perm);
  auto parameter = [&](const VariablePtr& w, const char* tag) {
    return w ? broadcast_parameter(c, w->value().as_float(), tag, axes, x.shape, perm) : std::string();
  };
  const std::vector<std::int64_t> trailing = trailing_axes(axes, perm, rank);
  if (c.onnx.opset() >= 17 && !trailing.empty()) {
    // Scale is required by the operator: ones when the layer has no gamma.
    Shape normalized_shape;
    for (std::int64_t a : trailing) normalized_shape.push_back(permuted_shape(x.shape, perm)[static_cast<std::size_t>(a)]);
    const std::string scale = gamma ? parameter(gamma, "gamma")
                                    : c.onnx.graph().constant(Tensor::filled(DType::Float32, normalized_shape, 1.0), "ones");
    std::vector<std::string> inputs{in, scale};
    if (beta) inputs.push_back(parameter(beta, "beta"));
    const std::string y = c.onnx.op("LayerNormalization", inputs, c.hint(),
                                    {int_attr("axis", trailing.front()), float_attr("epsilon", epsilon)});
    return {c.output(y, 0, x.perm)};
  }
  std::vector<std::int64_t> onnx_axes;
  for (std::int64_t a : axes) onnx_axes.push_back(onnx_axis(perm, a, rank));
  const std::string mean = c.onnx.reduce("ReduceMean", in, onnx_axes, true, c.hint());
  const std::string centered = c.onnx.op("Sub", {in, mean}, c.hint());
  const std::string variance = c.onnx.reduce("ReduceMean", c.onnx.op("Mul", {centered, centered}, c.hint()), onnx_axes, true, c.hint());
  std::string inv = c.onnx.op("Reciprocal", {c.onnx.op("Sqrt", {c.onnx.op("Add", {variance, c.onnx.scalar(static_cast<float>(epsilon))}, c.hint())}, c.hint())}, c.hint());
  if (gamma) inv = c.onnx.op("Mul", {inv, parameter(gamma, "gamma")}, c.hint());
  std::string y = c.onnx.op("Mul", {centered, inv}, c.hint());
  if (beta) y = c.onnx.op("Add", {y, parameter(beta, "beta")}, c.hint());
  return {c.output(y, 0, x.perm)};
}

}  // namespace

void add_normalization_converters(ConverterTable& t) {
  t["BatchNormalization"] = {batch_normalization, {}};
  t["LayerNormalization"] = {layer_normalization, {}};
}

}  // namespace ksave::plugins::onnx_export
