// A Dense or convolution layer's product, bias and activation as one fused op (FusedMatMul,
// FusedConv2D: one oneDNN primitive, no separate passes over the output for BiasAdd and Relu).
// Only while no observer watches the ops: a tape needs the separate ops' gradients and a tracer
// writes TensorFlow's ops, so training and SavedModel traces see what they always saw. ReLU is
// fused; any other activation runs after the fused product and bias, as its own op.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>

#include "ksave/ops.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins::fused {

struct Epilogue {
  const Attrs* attrs = nullptr;     // the fused op's "activation"
  bool applies_activation = false;  // false: the layer applies its activation afterwards
};

// How `activation` is fused now, or nothing when the layer must run the separate ops.
inline std::optional<Epilogue> epilogue_for(const Activation& activation) {
  if (ops_observed()) return std::nullopt;
  // Built once: a small model's per-call cost is a few hundred nanoseconds per op, which an
  // attribute map allocated per call would double.
  static const Attrs relu{{"activation", std::string("relu")}};
  static const Attrs linear{{"activation", std::string("linear")}};
  const bool fuses_relu = activation.name == "relu";
  return Epilogue{fuses_relu ? &relu : &linear, fuses_relu || activation.is_linear() || !activation.fn};
}

// op(x, kernel[, bias]) with `attrs`; `op` is looked up once by the caller.
inline Tensor product(const OpDef& op, const Tensor& x, const Tensor& kernel, const VariablePtr& bias,
                      const Attrs& attrs) {
  const std::array<Tensor, 3> inputs{x, kernel, bias ? bias->value() : Tensor()};
  return std::move(run_op(op, std::span<const Tensor>(inputs.data(), bias ? 3 : 2), attrs)[0]);
}

inline Tensor matmul(const Tensor& x, const Tensor& kernel, const VariablePtr& bias, const Epilogue& e) {
  static const OpDef& op = find_op("FusedMatMul");
  return product(op, x, kernel, bias, *e.attrs);
}

// Conv2D's window (VALID or SAME) in the op's attributes.
inline Tensor conv2d(const Tensor& x, const Tensor& filter, const VariablePtr& bias, const ops::Window2D& w,
                     const Epilogue& e) {
  static const OpDef& op = find_op("FusedConv2D");
  Attrs attrs = *e.attrs;
  attrs.set("strides", std::vector<std::int64_t>{1, w.stride_h, w.stride_w, 1});
  attrs.set("dilations", std::vector<std::int64_t>{1, w.dilation_h, w.dilation_w, 1});
  attrs.set("padding", w.padding);
  return product(op, x, filter, bias, attrs);
}

}  // namespace ksave::plugins::fused
