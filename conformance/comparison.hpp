// How two models (or their outputs) differ, as a sentence for the report; "" when they agree.
#pragma once

#include <string>

#include "ksave/json.hpp"
#include "ksave/model.hpp"
#include "ksave/tensor.hpp"

namespace ksave::conformance {

// "" when equal, else the first key whose value differs, with both values.
std::string config_difference(const Json& expected, const Json& found);
bool same_bytes(const Tensor& a, const Tensor& b);
// Same weight names in the same order, bit for bit (non-trainable ones included).
std::string weights_difference(const Model& expected, const Model& found);
// Bit for bit: a file read back must give exactly the model that was written.
std::string outputs_difference(const Tensors& expected, const Tensors& found);
// Within |a - b| <= 1e-5 + 1e-4 |a| elementwise: outputs of another release.
std::string outputs_close(const Tensors& expected, const Tensors& found);
// Moves every float weight away from what any initializer gives (v -> 0.75 v + 0.125 (k + 1) for
// the k-th weight; positive values stay positive, as variances must): a format that rebuilt a
// weight instead of reading it cannot pass.
void shift_weights(Model& model);

}  // namespace ksave::conformance
