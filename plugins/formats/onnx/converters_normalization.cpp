// BatchNormalization (inference: the moving statistics), LayerNormalization and
// GroupNormalization, as ksave's layers compute them: (x - mean) · (rsqrt(var + epsilon) · gamma)
// + beta. BatchNormalization over the axis a layout holds at ONNX axis 1 (a convolution's
// channels) is ONNX's BatchNormalization; otherwise, for LayerNormalization before opset 17 and
// for GroupNormalization (on the input reshaped to [..., groups, channels / groups]), the formula
// is written out. UnitNormalization: x · rsqrt(max(Σx², 1e-12)). The preprocessing layers
// RMSNormalization: x · rsqrt(mean(x²) + epsilon) · scale, the scale broadcast from the last axes
// as Keras 3 multiplies it. Normalization, (x - mean) / max(sqrt(var), 1e-7) or its inverse, and Rescaling, x · scale +
// offset, are constants around a Sub/Div or Mul/Add; ConvNeXt's LayerScale, x · gamma, a Mul.
#include <algorithm>
#include <functional>

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

// x - mean and rsqrt(variance + epsilon) over `axes` (ONNX axes of x), written out.
struct Standardized {
  std::string centered, inv;
};
Standardized standardized(Conversion& c, const std::string& x, const std::vector<std::int64_t>& axes, double epsilon) {
  const std::string mean = c.onnx.reduce("ReduceMean", x, axes, true, c.hint());
  const std::string centered = c.onnx.op("Sub", {x, mean}, c.hint());
  const std::string variance = c.onnx.reduce("ReduceMean", c.onnx.op("Mul", {centered, centered}, c.hint()), axes, true, c.hint());
  const std::string shifted = c.onnx.op("Add", {variance, c.onnx.scalar(static_cast<float>(epsilon))}, c.hint());
  return {centered, c.onnx.op("Reciprocal", {c.onnx.op("Sqrt", {shifted}, c.hint())}, c.hint())};
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
  auto [centered, inv] = standardized(c, in, onnx_axes, epsilon);
  if (gamma) inv = c.onnx.op("Mul", {inv, parameter(gamma, "gamma")}, c.hint());
  std::string y = c.onnx.op("Mul", {centered, inv}, c.hint());
  if (beta) y = c.onnx.op("Add", {y, parameter(beta, "beta")}, c.hint());
  return {c.output(y, 0, x.perm)};
}

// In Keras's layout: Reshape to [batch, ..., groups, channels / groups, ...], the statistics over
// every axis but the batch and the groups, gamma and beta per channel, Reshape back.
std::vector<Value> group_normalization(Conversion& c) {
  const Value& x = c.input();
  const std::size_t rank = x.rank();
  const auto axis = static_cast<std::size_t>(normalized_axes(c.config(), rank).front());
  const std::int64_t groups = c.config().value("groups", std::int64_t{32});
  const Dim per_group = x.shape[axis] / groups;
  std::vector<std::int64_t> grouped{0}, original{0};  // 0: ONNX's "this dimension of the input"
  for (std::size_t a = 1; a < rank; ++a) {
    original.push_back(x.shape[a]);
    grouped.push_back(a == axis ? groups : x.shape[a]);
    if (a == axis) grouped.push_back(per_group);
  }
  std::vector<std::int64_t> reduced;
  for (std::size_t a = 1; a < grouped.size(); ++a)
    if (a != axis) reduced.push_back(static_cast<std::int64_t>(a));
  const std::string g = c.onnx.reshape(c.onnx.float_in_layout(x, Perm{}), grouped, c.hint());
  auto [centered, inv] = standardized(c, g, reduced, c.config().value("epsilon", 1e-3));
  Shape parameter_shape(grouped.size(), 1);
  parameter_shape[axis] = groups;
  parameter_shape[axis + 1] = per_group;
  auto parameter = [&](const VariablePtr& w, const char* tag) {
    return c.onnx.graph().constant(w->value().as_float().clone().reshape(parameter_shape), c.hint(tag));
  };
  if (const VariablePtr gamma = c.find_weight("gamma")) inv = c.onnx.op("Mul", {inv, parameter(gamma, "gamma")}, c.hint());
  std::string y = c.onnx.op("Mul", {centered, inv}, c.hint());
  if (const VariablePtr beta = c.find_weight("beta")) y = c.onnx.op("Add", {y, parameter(beta, "beta")}, c.hint());
  return {c.output(c.onnx.reshape(y, original, c.hint()), 0, Perm{})};
}

std::string group_normalization_problem(const Layer& layer, const Json&) {
  for (const KerasTensor& input : layer.input_tensors(0))
    for (std::size_t a = 1; a < input.shape().size(); ++a)
      if (input.shape()[a] < 0) return "an input dimension other than the batch is unknown: " + shape_to_string(input.shape());
  return "";
}

std::vector<Value> unit_normalization(Conversion& c) {
  const Value& x = c.input();
  const std::size_t rank = x.rank();
  const Perm perm = spelled_out(x.perm, rank);
  std::vector<std::int64_t> axes;
  for (std::int64_t a : normalized_axes(c.config(), rank)) axes.push_back(onnx_axis(perm, a, rank));
  const std::string in = c.onnx.float_in_layout(x, x.perm);
  const std::string squares = c.onnx.reduce("ReduceSum", c.onnx.op("Mul", {in, in}, c.hint()), axes, true, c.hint());
  const std::string norm = c.onnx.op("Sqrt", {c.onnx.op("Max", {squares, c.onnx.scalar(1e-12f)}, c.hint())}, c.hint());
  return {c.output(c.onnx.op("Div", {in, norm}, c.hint()), 0, x.perm)};
}

std::vector<Value> rms_normalization(Conversion& c) {
  const Value& x = c.input();
  const std::string in = c.onnx.float_in_layout(x, {});
  const std::string mean_square =
      c.onnx.reduce("ReduceMean", c.onnx.op("Mul", {in, in}, c.hint()), normalized_axes(c.config(), x.rank()), true, c.hint());
  const auto epsilon = static_cast<float>(c.config().value("epsilon", 1e-6));
  const std::string rms = c.onnx.op("Sqrt", {c.onnx.op("Add", {mean_square, c.onnx.scalar(epsilon)}, c.hint())}, c.hint());
  const std::string normalized = c.onnx.op("Div", {in, rms}, c.hint());
  return {c.output(c.onnx.op("Mul", {normalized, c.weight_value(c.weight("scale"))}, c.hint()), 0, {})};
}

// The numbers of a config value (a number or nested lists of them), in order, as float32.
Tensor config_numbers(const Json& value) {
  std::vector<float> numbers;
  const std::function<void(const Json&)> collect = [&](const Json& v) {
    if (v.is_array()) {
      for (const Json& item : v) collect(item);
    } else {
      numbers.push_back(v.get<float>());
    }
  };
  collect(value);
  return Tensor::from_vector<float>(numbers, {static_cast<Dim>(numbers.size())});
}

// A Normalization statistic shaped like the kept axes: the layer's weight, or its config value
// (one number fills the shape, as Keras multiplies it by ones).
Tensor normalization_statistic(Conversion& c, const char* key, const std::vector<std::int64_t>& axes, const Shape& input_shape) {
  if (const VariablePtr w = c.find_weight(key)) return w->value().as_float();
  Shape shape;
  for (std::int64_t a : axes) shape.push_back(input_shape[static_cast<std::size_t>(a)]);
  const Tensor numbers = config_numbers(c.config().at(key));
  return numbers.size() == 1 ? Tensor::filled(DType::Float32, shape, numbers.data<float>()[0]) : numbers.reshape(shape);
}

// Images normalized over their channels are held channels-first, where the convolution after them
// reads them: ONNX Runtime broadcasts a (1, C, 1, 1) constant over whole rows, and a channels-last
// (1, 1, 1, 3) one three elements at a time (EfficientNetB0's input: 4.5 ms against 0.2 ms per
// call, batch 32, 64x64). Division by the deviation is multiplication by its inverse.
std::vector<Value> normalization(Conversion& c) {
  const Value& x = c.input();
  const Json& axis = c.config().at("axis");
  const std::vector<std::int64_t> axes = axis.is_null() ? std::vector<std::int64_t>{} : normalized_axes(c.config(), x.rank());
  const bool image_channels = x.rank() >= 4 && is_identity(x.perm) && axes == std::vector<std::int64_t>{static_cast<std::int64_t>(x.rank()) - 1};
  const Perm layout = image_channels ? channels_first_perm(x.rank()) : x.perm;
  const Tensor mean = normalization_statistic(c, "mean", axes, x.shape);
  const Tensor deviation = ops::maximum(ops::sqrt(normalization_statistic(c, "variance", axes, x.shape)), ops::constant(1e-7));
  const Perm perm = spelled_out(layout, x.rank());
  const std::string in = c.onnx.float_in_layout(x, layout);
  const std::string mean_c = broadcast_parameter(c, mean, "mean", axes, x.shape, perm);
  if (c.config().value("invert", false)) {
    const std::string deviation_c = broadcast_parameter(c, deviation, "deviation", axes, x.shape, perm);
    return {c.output(c.onnx.op("Add", {mean_c, c.onnx.op("Mul", {in, deviation_c}, c.hint())}, c.hint()), 0, layout)};
  }
  const std::string inverse_c = broadcast_parameter(c, ops::div(ops::constant(1.0), deviation), "inverse_deviation", axes, x.shape, perm);
  return {c.output(written_out(c, in, mean_c, inverse_c, ""), 0, layout)};
}

// x · scale + offset; a list is one value per position of the last Keras axis.
std::vector<Value> rescaling(Conversion& c) {
  const Value& x = c.input();
  const Perm perm = spelled_out(x.perm, x.rank());
  const std::vector<std::int64_t> last{static_cast<std::int64_t>(x.rank()) - 1};
  auto factor = [&](const char* key) {
    const Json& value = c.config().at(key);
    if (value.is_number()) return c.onnx.scalar(value.get<float>());
    return broadcast_parameter(c, config_numbers(value), key, last, x.shape, perm);
  };
  const std::string in = c.onnx.float_in_layout(x, x.perm);
  const std::string y = c.onnx.op("Add", {c.onnx.op("Mul", {in, factor("scale")}, c.hint()), factor("offset")}, c.hint());
  return {c.output(y, 0, x.perm)};
}

// x · gamma, gamma one value per position of the last Keras axis.
std::vector<Value> layer_scale(Conversion& c) {
  const Value& x = c.input();
  const std::vector<std::int64_t> last{static_cast<std::int64_t>(x.rank()) - 1};
  const std::string gamma = broadcast_parameter(c, c.weight("gamma")->value().as_float(), "gamma", last, x.shape,
                                                spelled_out(x.perm, x.rank()));
  return {c.output(c.onnx.op("Mul", {c.onnx.float_in_layout(x, x.perm), gamma}, c.hint()), 0, x.perm)};
}

}  // namespace

void add_normalization_converters(ConverterTable& t) {
  t["BatchNormalization"] = {batch_normalization, {}};
  t["LayerNormalization"] = {layer_normalization, {}};
  t["GroupNormalization"] = {group_normalization, group_normalization_problem};
  t["UnitNormalization"] = {unit_normalization, {}};
  t["RMSNormalization"] = {rms_normalization, {}};
  t["Normalization"] = {normalization, {}};
  t["Rescaling"] = {rescaling, {}};
  t["LayerScale"] = {layer_scale, {}};
}

}  // namespace ksave::plugins::onnx_export
