// Keras's activation functions as ONNX operators, each computed as ksave's activations plugin
// computes it (tf.keras 2.x definitions: hard_sigmoid is clip(0.2x + 0.5, 0, 1), gelu the exact
// erf form).
#pragma once

#include <optional>
#include <string>

#include "emitter.hpp"
#include "ksave/json.hpp"

namespace ksave::plugins::onnx_export {

// The activation a config value names ("relu", null for linear, {"class_name": ...} in Keras
// 3's form), with aliases resolved ("silu" is "swish").
std::string activation_name(const Json& value);
// Whether an activation of that name has an ONNX form.
bool activation_has_onnx_form(const std::string& name);
// Applies the activation to x. Softmax-like activations normalize over ONNX axis `last_axis`
// (the Keras last axis, wherever the layout put it).
std::string emit_activation(Emitter& onnx, const std::string& name, const std::string& x, std::int64_t last_axis,
                            const std::string& hint);

// The name ONNX's recurrent operators (LSTM, GRU, RNN) give an activation, with the same
// parameters as Keras's (the operators' defaults: HardSigmoid 0.2/0.5, Elu 1), or nothing when
// their list has no equivalent.
std::optional<std::string> recurrent_operator_activation(const std::string& name);

}  // namespace ksave::plugins::onnx_export
