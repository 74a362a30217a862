// Dense, EinsumDense, Activation, Dropout (and the other regularization layers, Identity, StochasticDepth),
// Embedding, ReversibleEmbedding, Masking and the advanced activation layers (ReLU, LeakyReLU, PReLU, ELU,
// ThresholdedReLU, Softmax), written as ksave's layer plugins compute them.
#include "activations.hpp"
#include "converter.hpp"
#include "ksave/ops.hpp"

namespace ksave::plugins::onnx_export {
namespace {

std::vector<Value> identity(Conversion& c) { return {c.input()}; }

// Applies the config's "activation" to y, held in `perm`.
std::string activate(Conversion& c, const std::string& y, const Perm& perm, std::size_t rank) {
  return emit_activation(c.onnx, activation_name(c.config().value("activation", Json())), y,
                         onnx_axis(perm, -1, rank), c.hint());
}

std::vector<Value> dense(Conversion& c) {
  const Value& x = c.input();
  const std::size_t rank = x.rank();
  // Dense contracts Keras's last axis: a layout that keeps that axis last can stay.
  const Perm perm = x.perm.empty() || x.perm.back() == static_cast<std::int64_t>(rank) - 1 ? x.perm : Perm{};
  const std::string in = c.onnx.float_in_layout(x, perm);
  const std::string kernel = c.weight_value(c.weight("kernel"));
  const VariablePtr bias = c.config().value("use_bias", true) ? c.find_weight("bias") : nullptr;
  std::string y;
  if (rank == 2 && bias) {
    y = c.onnx.op("Gemm", {in, kernel, c.weight_value(bias)}, c.hint());
  } else {
    y = c.onnx.op("MatMul", {in, kernel}, c.hint());
    if (bias) y = c.onnx.op("Add", {y, c.weight_value(bias)}, c.hint());
  }
  return {c.output(activate(c, y, perm, rank), 0, perm)};
}

// EinsumDense: ONNX's Einsum (opset 12 on) with the layer's own equation, ellipsis included, then
// the bias (Keras's shape broadcasts from the last axes, as Add does) and the activation.
std::vector<Value> einsum_dense(Conversion& c) {
  const std::string in = c.onnx.float_in_layout(c.input(), {});
  const std::string equation = c.config().at("equation").get<std::string>();
  std::string y = c.onnx.op("Einsum", {in, c.weight_value(c.weight("kernel"))}, c.hint(), {string_attr("equation", equation)});
  if (const VariablePtr bias = c.find_weight("bias")) y = c.onnx.op("Add", {y, c.weight_value(bias)}, c.hint());
  return {c.output(activate(c, y, {}, c.call.output_shapes.at(0).size()), 0, {})};
}

std::vector<Value> activation_layer(Conversion& c) {
  const Value& x = c.input();
  return {c.output(activate(c, c.onnx.float_in_layout(x, x.perm), x.perm, x.rank()), 0, x.perm)};
}

std::vector<Value> embedding(Conversion& c) {
  const Value& ids = c.input();
  const std::string raw = c.onnx.in_keras_layout(ids);
  const std::string indices = ids.dtype == DType::Int64 ? raw : c.onnx.cast(raw, DType::Int64, c.hint());
  Value out = c.output(c.onnx.op("Gather", {c.weight_value(c.weight("embeddings")), indices}, c.hint(), {int_attr("axis", 0)}));
  if (c.config().value("mask_zero", false)) {
    // Keras masks the steps whose id is 0, compared in the ids' own type.
    const std::string zero = c.onnx.graph().constant(Tensor::filled(ids.dtype, {}, 0.0), "zero");
    out.mask = c.onnx.op("Not", {c.onnx.op("Equal", {raw, zero}, c.hint("mask"))}, c.hint("mask"));
  }
  return {out};
}

// ReversibleEmbedding: its forward call is Embedding's; a call with reverse=True projects the
// features with embeddingsᵀ (tie_weights) or reverse_embeddings, rounded through reverse_dtype
// where that is a half type, then logit_soft_cap · tanh(logits / logit_soft_cap) when set.
std::vector<Value> reversible_embedding(Conversion& c) {
  const Json& kwargs = c.call.call_kwargs;
  if (!(kwargs.contains("reverse") && kwargs["reverse"].is_boolean() && kwargs["reverse"].get<bool>())) return embedding(c);
  const Json& config = c.config();
  const std::string reverse_dtype = config.value("reverse_dtype", Json()).is_string() ? config["reverse_dtype"].get<std::string>() : "";
  const DType half = reverse_dtype == "float16" ? DType::Float16 : reverse_dtype == "bfloat16" ? DType::BFloat16 : DType::Float32;
  auto rounded = [&](const std::string& x) {
    return half == DType::Float32 ? x : c.onnx.cast(c.onnx.cast(x, half, c.hint()), DType::Float32, c.hint());
  };
  const std::string kernel =
      config.value("tie_weights", true)
          ? c.weight_value(c.weight("embeddings"), "transposed", [](const Tensor& t) { return ops::transpose(t, {1, 0}); })
          : c.weight_value(c.weight("reverse_embeddings"));
  std::string logits =
      rounded(c.onnx.op("MatMul", {rounded(c.onnx.float_in_layout(c.input(), {})), rounded(kernel)}, c.hint()));
  if (const Json cap = config.value("logit_soft_cap", Json()); cap.is_number()) {
    const std::string scaled = c.onnx.op("Mul", {logits, c.onnx.scalar(static_cast<float>(1.0 / cap.get<double>()))}, c.hint());
    logits = c.onnx.op("Mul", {c.onnx.op("Tanh", {scaled}, c.hint()), c.onnx.scalar(cap.get<float>())}, c.hint());
  }
  return {c.output(logits)};
}

// Masking: the steps whose features all equal mask_value are zeroed, and masked for the layers
// downstream (any |x - mask_value| > 0 over the last axis, as the layer computes it).
std::vector<Value> masking(Conversion& c) {
  const Value& x = c.input();
  const auto last = static_cast<std::int64_t>(x.rank()) - 1;
  const std::string in = c.onnx.float_in_layout(x, Perm{});
  const std::string mask_value = c.onnx.scalar(static_cast<float>(c.config().value("mask_value", 0.0)));
  const std::string distance = c.onnx.op("Abs", {c.onnx.op("Sub", {in, mask_value}, c.hint("mask"))}, c.hint("mask"));
  const std::string largest = c.onnx.reduce("ReduceMax", distance, {last}, false, c.hint("mask"));
  const std::string mask = c.onnx.op("Greater", {largest, c.onnx.scalar(0.0f)}, c.hint("mask"));
  const std::string keep = c.onnx.cast(c.onnx.unsqueeze(mask, {last}, c.hint("mask")), DType::Float32, c.hint("mask"));
  Value out = c.output(c.onnx.op("Mul", {in, keep}, c.hint()), 0, Perm{});
  out.mask = mask;
  return {out};
}

// ReLU(max_value, negative_slope, threshold), term by term as keras.backend.relu.
std::vector<Value> relu_layer(Conversion& c) {
  const Value& x = c.input();
  const std::string in = c.onnx.float_in_layout(x, x.perm);
  const Json& config = c.config();
  const double threshold = config.value("threshold", 0.0);
  const double slope = config.value("negative_slope", 0.0);
  const bool capped = config.contains("max_value") && config["max_value"].is_number();
  std::string y;
  if (threshold != 0.0) {
    const std::string above = c.onnx.op("Greater", {in, c.onnx.scalar(static_cast<float>(threshold))}, c.hint());
    y = c.onnx.op("Mul", {in, c.onnx.cast(above, DType::Float32, c.hint())}, c.hint());
  } else if (!capped) {
    y = c.onnx.op("Relu", {in}, c.hint());
  }
  // Clip(x, 0, max) is relu then the cap in one operator (ONNX Runtime fuses it into a Conv before it).
  if (capped) y = c.onnx.op("Clip", {y.empty() ? in : y, c.onnx.scalar(0.0f), c.onnx.scalar(config["max_value"].get<float>())}, c.hint());
  if (slope != 0.0) {
    const std::string below = c.onnx.op(
        "Relu", {c.onnx.op("Add", {c.onnx.op("Neg", {in}, c.hint()), c.onnx.scalar(static_cast<float>(threshold))}, c.hint())},
        c.hint());
    y = c.onnx.op("Sub", {y, c.onnx.op("Mul", {below, c.onnx.scalar(static_cast<float>(slope))}, c.hint())}, c.hint());
  }
  return {c.output(y, 0, x.perm)};
}

// Layers that are one ONNX operator with one float attribute taken from the config.
Converter scalar_attribute_layer(const char* type, const char* attribute, const char* key, double fallback,
                                 const char* alias = nullptr) {
  return {[=](Conversion& c) {
            const Value& x = c.input();
            const Json& config = c.config();
            double value = fallback;
            if (config.contains(key) && config[key].is_number()) value = config[key].get<double>();
            else if (alias && config.contains(alias) && config[alias].is_number()) value = config[alias].get<double>();
            const std::string y = c.onnx.op(type, {c.onnx.float_in_layout(x, x.perm)}, c.hint(), {float_attr(attribute, value)});
            return std::vector<Value>{c.output(y, 0, x.perm)};
          },
          {}};
}

std::vector<Value> softmax_layer(Conversion& c) {
  const Value& x = c.input();
  const std::int64_t axis = onnx_axis(x.perm, c.config().value("axis", std::int64_t{-1}), x.rank());
  const std::string y = c.onnx.op("Softmax", {c.onnx.float_in_layout(x, x.perm)}, c.hint(), {int_attr("axis", axis)});
  return {c.output(y, 0, x.perm)};
}

// PReLU: ONNX's PRelu, with the slope (alpha, shaped like the input without its batch axis)
// laid out as the input is.
std::vector<Value> prelu(Conversion& c) {
  const Value& x = c.input();
  const std::size_t rank = x.rank();
  const Perm perm = x.perm;
  const std::string slope = c.weight_value(c.weight("alpha"), "layout" + Json(perm).dump(), [&](const Tensor& alpha) {
    Shape with_batch{1};
    with_batch.insert(with_batch.end(), alpha.shape().begin(), alpha.shape().end());
    const Tensor full = alpha.reshape(with_batch);
    return perm.empty() ? full : ops::transpose(full, spelled_out(perm, rank));
  });
  return {c.output(c.onnx.op("PRelu", {c.onnx.float_in_layout(x, perm), slope}, c.hint()), 0, perm)};
}

}  // namespace

void add_core_converters(ConverterTable& t) {
  t["InputLayer"] = {identity, {}};
  // Dropout and the other regularization layers are the identity at inference.
  for (const char* cls : {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
                          "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Identity"})
    t[cls] = {identity, {}};
  t["StochasticDepth"] = {identity, {}};  // identity at inference, as Dropout
  t["Dense"] = {dense, {}};
  t["EinsumDense"] = {einsum_dense, {}};
  t["Activation"] = {activation_layer, {}};
  t["Embedding"] = {embedding, {}};
  t["ReversibleEmbedding"] = {reversible_embedding, {}};
  t["Masking"] = {masking, {}};
  t["ReLU"] = {relu_layer, {}};
  t["LeakyReLU"] = scalar_attribute_layer("LeakyRelu", "alpha", "alpha", 0.3, "negative_slope");
  t["ELU"] = scalar_attribute_layer("Elu", "alpha", "alpha", 1.0);
  t["ThresholdedReLU"] = scalar_attribute_layer("ThresholdedRelu", "alpha", "theta", 1.0);
  t["Softmax"] = {softmax_layer, {}};
  t["PReLU"] = {prelu, {}};
}

}  // namespace ksave::plugins::onnx_export
