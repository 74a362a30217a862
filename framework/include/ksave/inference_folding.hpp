// Inference folding, as TensorFlow's grappler and ONNX Runtime do it: at inference, a
// BatchNormalization that follows a convolution or Dense layer is an affine map per output
// channel, which folds into the product's kernel and bias (w * scale, b * scale + shift), and the
// activation layer after it runs inside the product as a oneDNN post-op. The activations then
// stream through memory once instead of three times (product, normalization, activation).
//
// Models find such chains in their graph (a product whose output only the normalization reads,
// and so on) and run them through these interfaces, which layers implement beside Layer. Only
// while no tape or tracer watches the ops (ops_observed() is false) and no mask flows: training,
// gradients and traced SavedModel functions keep running every layer as before.
#pragma once

#include <mutex>
#include <optional>
#include <span>
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

// A product layer (Conv2D, DepthwiseConv2D, Dense) that can run a chain after it.
class FoldableProductLayer {
 public:
  virtual ~FoldableProductLayer();
  // The layer's inference output on `x` followed by `affine` (folded into its kernel and bias;
  // null: none) and by the fused `activation` ("linear": none), or nothing when this layer cannot
  // (channels_first, an activation or activity regularizer of its own, not built, not float32):
  // the caller then runs the layers one by one.
  virtual std::optional<Tensor> call_folded(const Tensor& x, const ChannelAffineLayer* affine,
                                            const char* activation) = 0;
};

// A product's kernel and bias with a ChannelAffineLayer folded in, computed once and reused while
// the values they come from stay the same. A variable's value changes by getting new storage
// (assign, set_weights, optimizers, loads into a shared value), and the cache holds the values it
// folded, so their storage can neither be reused for another value nor be written in place by a
// load (loaders write in place only into storage nothing else shares): comparing storage identity
// is exact. Safe for concurrent predicts on one model.
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
  std::vector<Tensor> sources_;  // kernel, bias (or undefined), the affine's variables' values
  Folded folded_;
};

}  // namespace ksave
