// Keras's mixed precision, emulated. Under a mixed policy ("mixed_float16", "mixed_bfloat16") a
// Keras layer keeps float32 variables, casts its floating inputs and every variable it reads to the
// compute dtype, and computes in it, so its outputs are compute-dtype tensors. ksave computes in
// float32 and rounds (to nearest even) exactly there: the layer's floating inputs, the variables
// it reads, its floating outputs. All of it happens in the layer call path (Layer::operator()),
// so no layer knows about it; inside the call only the rounding of each op's intermediate results
// differs from Keras, which the half-precision tolerance covers.
#pragma once

#include <string>
#include <vector>

#include "ksave/layer.hpp"

namespace ksave::detail {

// Whether a layer computing in `compute` rounds: float16 and bfloat16, under a mixed policy or as
// the layer's own dtype (a Keras layer with dtype "float16", whose variables ksave keeps in
// float32: the values read from its files widen exactly).
bool rounds_in(DType compute);

// The compute dtype of a policy named `name`: float16 / bfloat16 for "mixed_float16" /
// "mixed_bfloat16", nothing for other names (a plain dtype policy).
std::optional<DType> mixed_compute_dtype(const std::string& name);

// `x` (float32) rounded to `compute` (float16 or bfloat16) and back, as the two Cast ops Keras's
// graph holds: a tape differentiates it as TensorFlow does (the gradient comes back through the
// casts, rounded to `compute` too), a tracer writes the casts.
Tensor round_to(const Tensor& x, DType compute);

// One layer call under the layer's policy, on this thread. For a mixed-precision layer: the
// layer's variables read as rounded while it lives, round_inputs / round_outputs round the
// floating tensors. For another layer called inside one (a float32 Activation in a mixed model,
// a wrapper's float32 sublayer): the enclosing call's rounding is suspended.
class MixedPrecisionCall {
 public:
  explicit MixedPrecisionCall(const Layer& layer);  // rounds when rounds_in(layer.compute_dtype())
  ~MixedPrecisionCall();
  MixedPrecisionCall(const MixedPrecisionCall&) = delete;
  MixedPrecisionCall& operator=(const MixedPrecisionCall&) = delete;

  // Whether the layer rounds at all (a call of a layer under another policy does nothing).
  bool rounds() const { return rounds_; }
  Tensors round(const Tensors& tensors) const;

  // Whether any call on this thread rounds now (a layer under another policy must then suspend it).
  static bool active_on_this_thread();

  // The frame's rounded read of `variable`, or null (Variable::value's hook).
  const Tensor* read(const Variable& variable) const;

 private:
  DType compute_;
  bool rounds_;
  bool pushed_ = false;
  std::vector<std::pair<const Variable*, Tensor>> rounded_;
};

}  // namespace ksave::detail
