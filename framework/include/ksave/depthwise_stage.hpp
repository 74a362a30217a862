// A depthwise convolution run inside the 1x1 convolution before it, at inference (oneDNN's
// depthwise post-op): the 1x1's output rows go straight into the depthwise window from cache
// instead of being written to memory and read back — MobileNetV2's expanded activations
// (112x112x96 in its second block) are the largest tensors of its predict. Both layers run their
// folded chains (ksave/inference_folding.hpp): the expand chain, then the depthwise chain (its zero
// padding, normalization and activation). Found by the model's chain finder where the 1x1 chain's
// output is read only by the depthwise chain.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "ksave/inference_folding.hpp"

namespace ksave {

// A depthwise chain as a stage after a product.
struct DepthwiseStage {
  Tensor kernel;  // folded, [kh, kw, 1, C] (the grouped HWIO filter)
  Tensor bias;    // folded, (C,)
  std::int64_t stride = 1;
  std::int64_t pad_top = 0, pad_left = 0;  // before the window
  std::int64_t out_h = 0, out_w = 0;
  const char* activation = "linear";  // the fused ops' name
};

// A layer that can run its folded chain as a DepthwiseStage (DepthwiseConv2D).
class DepthwiseStageLayer {
 public:
  virtual ~DepthwiseStageLayer();
  // The stage of this layer's chain `chain` on an input of `input_shape`, or nothing when it
  // cannot run so (see the implementation's conditions); the caller then runs the chain itself.
  virtual std::optional<DepthwiseStage> depthwise_stage(const Shape& input_shape, const FoldedChain& chain) = 0;
};

// A product layer that can run a DepthwiseStage after its own folded chain (a 1x1 Conv2D).
class DepthwiseStageHost {
 public:
  virtual ~DepthwiseStageHost();
  // The output of `next` (its chain `next_chain`) on this layer's output within `chain`, in one
  // op; nothing when either cannot run so (the caller then runs both chains).
  virtual std::optional<Tensor> call_folded_with_depthwise(const Tensor& x, const FoldedChain& chain,
                                                           DepthwiseStageLayer& next, const FoldedChain& next_chain) = 0;
};

}  // namespace ksave
