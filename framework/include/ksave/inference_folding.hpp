// Inference folding, as TensorFlow's grappler and ONNX Runtime do it: at inference, a
// BatchNormalization that follows a convolution or Dense layer is an affine map per output
// channel, which folds into the product's kernel and bias (w * scale, b * scale + shift), and the
// activation layer after it runs inside the product as a oneDNN post-op. The activations then
// stream through memory once instead of three times (product, normalization, activation).
//
// A ZeroPadding before a convolution becomes the convolution's own padding the same way, and a
// residual Add after the chain is added inside the convolution (oneDNN's sum post-op, as ONNX
// Runtime's Conv + Add fusion) into the Add's other input, when nothing reads that input later.
//
// Models find such chains in their graph (a product whose output only the normalization reads,
// and so on) and run them through these interfaces, which layers implement beside Layer. Only
// while no tape or tracer watches the ops (ops_observed() is false) and no mask flows: training,
// gradients and traced SavedModel functions keep running every layer as before, but for two
// pairs in training: a zero padding taken by the convolution after it
// (FoldableProductLayer::call_with_zero_padding) and a normalization with its activation
// (NormalizationWithActivationLayer).
#pragma once

#include <mutex>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "ksave/layer.hpp"

namespace ksave {

// A layer that, at inference, maps each channel of its input's last axis affinely:
// y = x * scale + shift (BatchNormalization with its moving statistics).
class ChannelAffineLayer {
 public:
  struct Affine {
    Tensor scale, shift;  // float32, (channels,)
  };
  virtual ~ChannelAffineLayer();
  // Whether a call with `training` is this map (not when a trainable layer trains on batch
  // statistics, nor when it normalizes an axis other than the last).
  virtual bool is_channel_affine(bool training) const = 0;
  // The variables the map is computed from: folded weights are recomputed when one changes.
  virtual std::span<const VariablePtr> affine_variables() const = 0;
  // The map from the variables' current values, in the float32 arithmetic of the layer's own call.
  virtual Affine channel_affine() const = 0;
};

// A layer whose elementwise activation can run inside the product before it.
class FusableActivationLayer {
 public:
  virtual ~FusableActivationLayer();
  // The fused ops' name of this layer's activation at inference ("relu", "relu6", ...), or null
  // when the fused ops cannot compute it exactly as the layer does.
  virtual const char* fused_activation() const = 0;
};

// A layer that, in training, can run a fusable activation layer after it inside its own op (a
// BatchNormalization normalizing by the batch's statistics, then ReLU or ReLU(6), as
// FusedBatchNormReluTraining): the activations are not written and read once more each way. Runs
// under a tape (the op has its own gradient), not while a graph tracer wants primitive ops.
class NormalizationWithActivationLayer {
 public:
  virtual ~NormalizationWithActivationLayer();
  // The layer's output on `x` in a call with `training`, followed by the fused ops' activation
  // `activation` ("relu", "relu6"); nothing when this call cannot run so (not training, not
  // channels-last, not float32, a tracer watching): the caller then runs both layers.
  virtual std::optional<Tensor> call_with_activation(const Tensor& x, bool training, const char* activation) = 0;
};

// A layer that, at inference, pads the spatial axes of a channels-last input with zeros
// (ZeroPadding1D/2D). A convolution reading only its output takes the padding as explicit padding
// of its own, as ONNX Runtime's Pad fusion does: no padded copy of the activations.
class SpatialZeroPaddingLayer {
 public:
  virtual ~SpatialZeroPaddingLayer();
  // {before, after} per spatial axis; empty when the layer does not pad a channels-last input.
  virtual std::vector<std::pair<Dim, Dim>> channels_last_zero_padding() const = 0;
};

// A layer whose output is, at inference, the elementwise sum of its two inputs of one shape
// (Keras's Add): a product chain whose output only it reads can add the chain's result into its
// other input in place, instead of writing the result and reading both again.
class ElementwiseSumLayer {
 public:
  virtual ~ElementwiseSumLayer();
  // Whether a call of this layer's node with `call_kwargs` (its recorded call arguments; may be
  // null) adds exactly its two input tensors.
  virtual bool sums_two_inputs(const Json* call_kwargs) const = 0;
};

// What runs around a product layer in one fused call.
struct FoldedChain {
  std::span<const std::pair<Dim, Dim>> zero_padding;  // before the product, per spatial axis; empty: none
  const ChannelAffineLayer* affine = nullptr;         // after it, folded into its kernel and bias
  const char* activation = "linear";                  // after that, the fused ops' name
  // After that, when set: a float32 tensor of the output's shape that the result is added to in
  // place; the output then is this tensor (its storage), which the caller gives up.
  const Tensor* addend = nullptr;
  // After the sum (with an addend only): the activation layer after the Add (ResNet's blocks end
  // with relu(x + shortcut)), the fused ops' name.
  const char* activation_after_add = "linear";
};

// A product layer (Conv2D, DepthwiseConv2D, Dense) that can run a chain around it.
class FoldableProductLayer {
 public:
  virtual ~FoldableProductLayer();
  // Whether zero padding of `spatial_axes` axes before the layer can become its own (a
  // convolution of that spatial rank with padding 'valid').
  virtual bool takes_zero_padding(std::size_t spatial_axes) const {
    (void)spatial_axes;
    return false;
  }
  // The layer's inference output on `x` within `chain`, or nothing when this layer cannot
  // (channels_first, an activation or activity regularizer of its own, not built, not float32):
  // the caller then runs the layers one by one.
  virtual std::optional<Tensor> call_folded(const Tensor& x, const FoldedChain& chain) = 0;
  // Whether call_folded can take an addend (FoldedChain::addend); when it cannot, no chain gives it one.
  virtual bool adds_in_place() const { return false; }
  // The layer's own call on `x` (its ops, which a tape records) with `zero_padding` before it
  // taken as its own padding, in training too: the padded copy of the activations and its
  // gradient's slice are not made. Nothing when this layer cannot (as call_folded).
  virtual std::optional<Tensor> call_with_zero_padding(const Tensor& x,
                                                       std::span<const std::pair<Dim, Dim>> zero_padding) {
    (void)x;
    (void)zero_padding;
    return std::nullopt;
  }
};

// A product's kernel and bias with a ChannelAffineLayer folded in, computed once and reused while
// the values they come from stay the same: the same storage, not written since (StorageStamp).
// A variable's value changes by getting new storage (assign, set_weights, optimizers) or by a
// write through Tensor::data<T>(), which advances its storage's version. Safe for concurrent
// predicts on one model.
class FoldedWeights {
 public:
  struct Folded {
    Tensor kernel, bias;  // kernel: the product's kernel with its last axis the output channel
  };
  // `kernel`'s last axis must be the output channel (a depthwise kernel reshaped to
  // [kh, kw, 1, C*M]); `bias` may be null.
  Folded get(const Tensor& kernel, const VariablePtr& bias, const ChannelAffineLayer& affine);

 private:
  bool current(const Tensor& kernel, const VariablePtr& bias, const ChannelAffineLayer& affine) const;
  std::mutex mutex_;
  std::vector<StorageStamp> sources_;  // kernel, bias (or none), the affine's variables' values
  Folded folded_;
};

}  // namespace ksave
