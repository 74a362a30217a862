#include "epilogue.hpp"

#include <algorithm>

#include "kernel_util.hpp"

namespace ksave::detail {

void append_activation(dnnl::post_ops& ops, FusedActivation activation) {
  if (activation == FusedActivation::relu) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  // bounded_relu is min(max(x, 0), alpha): exact, as Keras's clip.
  if (activation == FusedActivation::relu6) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_bounded_relu, 6.0f, 0.0f);
}

dnnl::post_ops Epilogue::post_ops() const {
  dnnl::post_ops ops;
  append_activation(ops, activation);
  // dst = result + 1 * dst: the float addition of Keras's Add (either operand order, the same bits).
  if (sum) {
    ops.append_sum(1.0f);
    append_activation(ops, after_sum);
  }
  return ops;
}

void Epilogue::apply(float* out, std::int64_t rows, std::int64_t channels) const {
  if (sum) throw Error("a product's epilogue adds into its destination only inside a oneDNN primitive");
  if (!bias && activation == FusedActivation::none) return;
  for (std::int64_t r = 0; r < rows; ++r) {
    float* row = out + r * channels;
    if (bias)
      for (std::int64_t c = 0; c < channels; ++c) row[c] += bias[c];
    apply_activation(row, channels, activation);
  }
}

void apply_activation(float* values, std::int64_t count, FusedActivation activation) {
  if (activation == FusedActivation::relu)
    for (std::int64_t i = 0; i < count; ++i) values[i] = std::max(values[i], 0.0f);
  if (activation == FusedActivation::relu6)
    for (std::int64_t i = 0; i < count; ++i) values[i] = std::min(std::max(values[i], 0.0f), 6.0f);
}

FusedActivation fused_activation(const Attrs& attrs, const char* op) {
  return fused_activation_named(attr_or<std::string>(attrs, "activation", "linear", op), op);
}

FusedActivation fused_activation_named(const std::string& name, const char* op) {
  if (name == "linear") return FusedActivation::none;
  if (name == "relu") return FusedActivation::relu;
  if (name == "relu6") return FusedActivation::relu6;
  throw Error(std::string(op) + ": attribute 'activation' must be \"linear\", \"relu\" or \"relu6\", got \"" + name +
              "\"");
}

}  // namespace ksave::detail
