#include "activations.hpp"

#include <map>
#include <numbers>

namespace ksave::plugins::onnx_export {

std::string activation_name(const Json& value) {
  if (value.is_null()) return "linear";
  std::string name;
  if (value.is_string()) {
    name = value.get<std::string>();
  } else if (value.is_object()) {
    // Keras 3 writes {"module": "keras.activations", "class_name": "function", "config": "relu"}.
    const Json config = value.value("config", Json());
    name = config.is_string() ? config.get<std::string>() : value.value("class_name", std::string());
  }
  if (name == "silu") return "swish";
  return name;
}

namespace {

// Operators of one input with no attributes, one for one.
const char* unary_operator(const std::string& name) {
  if (name == "relu") return "Relu";
  if (name == "sigmoid") return "Sigmoid";
  if (name == "tanh") return "Tanh";
  if (name == "softplus") return "Softplus";
  if (name == "softsign") return "Softsign";
  if (name == "exponential") return "Exp";
  return nullptr;
}

}  // namespace

bool activation_has_onnx_form(const std::string& name) {
  static const char* const composed[] = {"linear", "softmax", "log_softmax", "elu", "selu", "hard_sigmoid",
                                         "swish", "gelu", "relu6", "mish"};
  if (unary_operator(name)) return true;
  for (const char* c : composed)
    if (name == c) return true;
  return false;
}

std::string emit_activation(Emitter& onnx, const std::string& name, const std::string& x, std::int64_t last_axis,
                            const std::string& hint) {
  if (name == "linear") return x;
  if (const char* type = unary_operator(name)) return onnx.op(type, {x}, hint);
  if (name == "softmax") return onnx.op("Softmax", {x}, hint, {int_attr("axis", last_axis)});
  if (name == "log_softmax") return onnx.op("LogSoftmax", {x}, hint, {int_attr("axis", last_axis)});
  if (name == "elu") return onnx.op("Elu", {x}, hint, {float_attr("alpha", 1.0)});
  // TensorFlow's constants; ONNX's defaults are the same float32 numbers, written out anyway.
  if (name == "selu")
    return onnx.op("Selu", {x}, hint, {float_attr("alpha", 1.6732632423543772), float_attr("gamma", 1.0507009873554805)});
  if (name == "hard_sigmoid") return onnx.op("HardSigmoid", {x}, hint, {float_attr("alpha", 0.2), float_attr("beta", 0.5)});
  if (name == "swish") return onnx.op("Mul", {x, onnx.op("Sigmoid", {x}, hint)}, hint);
  if (name == "relu6") return onnx.op("Clip", {x, onnx.scalar(0.0f), onnx.scalar(6.0f)}, hint);
  if (name == "mish") return onnx.op("Mul", {x, onnx.op("Tanh", {onnx.op("Softplus", {x}, hint)}, hint)}, hint);
  if (name == "gelu") {
    // 0.5 x (1 + erf(x / sqrt 2)), in the order ksave computes it.
    const std::string erf = onnx.op("Erf", {onnx.op("Mul", {x, onnx.scalar(static_cast<float>(1.0 / std::numbers::sqrt2))}, hint)}, hint);
    const std::string cdf = onnx.op("Add", {erf, onnx.scalar(1.0f)}, hint);
    return onnx.op("Mul", {onnx.op("Mul", {x, onnx.scalar(0.5f)}, hint), cdf}, hint);
  }
  throw Error("activation '" + name + "' has no ONNX form");
}

std::optional<std::string> recurrent_operator_activation(const std::string& name) {
  static const std::map<std::string, std::string> names{{"sigmoid", "Sigmoid"},         {"tanh", "Tanh"},
                                                        {"relu", "Relu"},               {"hard_sigmoid", "HardSigmoid"},
                                                        {"elu", "Elu"},                 {"softsign", "Softsign"},
                                                        {"softplus", "Softplus"}};
  if (auto found = names.find(name); found != names.end()) return found->second;
  return std::nullopt;
}

}  // namespace ksave::plugins::onnx_export
