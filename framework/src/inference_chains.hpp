// The chains of a model's graph that run fused at inference (ksave/inference_folding.hpp):
// optionally a zero-padding layer whose output only the product reads, a product layer, then
// optionally a channel-affine layer reading only its output, then optionally an activation layer
// reading only that, then optionally a residual Add (ElementwiseSumLayer) reading only that, whose
// other input the product adds into in place, and an activation layer reading only the Add. Found once per graph; whether a chain runs fused is
// decided per call (no tape or tracer, no mask, the affine layer in inference mode, the product
// layer willing). Beside them, for training: a normalization layer whose output only a fusable
// activation layer reads (NormalizationWithActivationLayer), run as one op also under a tape.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "ksave/depthwise_stage.hpp"
#include "ksave/inference_folding.hpp"
#include "ksave/model.hpp"

namespace ksave {

struct InferenceChains {
  struct Chain {
    FoldableProductLayer* product = nullptr;  // the steps' LayerPtrs keep the layers alive
    std::vector<std::pair<Dim, Dim>> zero_padding;
    const ChannelAffineLayer* affine = nullptr;
    std::optional<bool> affine_training;       // an explicit training argument of its node
    const char* activation = "linear";         // the fused ops' name
    int output_slot = -1;                      // the chain's last layer's output, without the Add
    int product_output_slot = -1;              // the product's own output
    int input_slot = -1;                       // the chain's first layer's input
    // A residual Add after the chain: its other input (which nothing reads after the Add, made
    // before the chain) and its output, or the output of the activation layer that alone reads
    // it (activation_after_add); -1 when none.
    int addend_slot = -1, sum_output_slot = -1;
    const char* activation_after_add = "linear";
    // The depthwise chain that alone reads this chain's output, run inside its product when both
    // can (ksave/depthwise_stage.hpp): its start step, or -1.
    int depthwise_step = -1;
  };
  std::vector<std::optional<Chain>> chain_at;  // per step: the chain it starts (at its padding or product)
  std::vector<int> absorbed_into;              // per step: the output slot of the chain that ran it, or -1
  // Per step: the Add's output slot of a chain with a residual Add that absorbs the step (the Add
  // itself included), or -1. Filled when the chain ran with the sum inside.
  std::vector<int> summed_into;

  // Per step: for a product whose zero padding a chain takes, the product's own output slot (a
  // call in training fills it from the padding's step: run_padded), else -1.
  std::vector<int> padded_product_output;

  // The output of the zero padding at `step` and the product after it (the chain's first two
  // layers), the product's own call with the padding as its own, when the whole chain does not
  // run fused; nothing when the chain has no padding or the product cannot.
  std::optional<Tensor> run_padded(std::size_t step, const Tensor& x, const Tensor& mask) const;

  struct ActivationPair {
    NormalizationWithActivationLayer* normalization = nullptr;
    const char* activation = "linear";  // the fused ops' name of the activation layer after it
    int output_slot = -1;               // the activation layer's output
  };
  std::vector<std::optional<ActivationPair>> pair_at;  // per step: the pair it starts

  // The output of the pair starting at `step` on `x` in a call with `training` (the step's own
  // training argument if it has one), or nothing when it does not run fused in this call.
  std::optional<Tensor> run_pair(std::size_t step, const Tensor& x, const Tensor& mask, bool training) const;

  // The output of the chain starting at `step` on `x`, run fused, or nothing when it does not run
  // fused in this call (the steps then run one by one); the steps it absorbed are then skipped.
  // With `addend`, the chain's residual Add runs inside too (added into it in place: see
  // FoldedChain::addend); nothing when the product cannot.
  std::optional<Tensor> run(std::size_t step, const Tensor& x, const Tensor& mask, bool training,
                            const Tensor* addend = nullptr) const;
  // run() on a graph's `slots` (masks beside them): fills the chain's output slot, or the Add's
  // when the residual Add ran inside; false when the chain does not run fused in this call.
  bool run_in(std::size_t step, std::vector<Tensor>& slots, const std::vector<Tensor>& masks, bool training) const;
  // Whether `step` was run by a chain in this call (its chain's output slot is filled).
  bool absorbed(std::size_t step, const std::vector<Tensor>& slots) const {
    const int slot = absorbed_into[step], own = padded_product_output[step], sum = summed_into[step];
    const int stage = step < depthwise_output.size() ? depthwise_output[step] : -1;
    return (slot >= 0 && slots[static_cast<std::size_t>(slot)].defined()) ||
           (own >= 0 && slots[static_cast<std::size_t>(own)].defined()) ||
           (sum >= 0 && slots[static_cast<std::size_t>(sum)].defined()) ||
           (stage >= 0 && slots[static_cast<std::size_t>(stage)].defined());
  }
  // Per step (empty when no chain has a depthwise stage): for the steps of a 1x1 chain with a
  // depthwise stage after its start, and the stage chain's start, the stage chain's output slot
  // (filled when the pair ran as one op), else -1.
  std::vector<int> depthwise_output;

 private:
  std::optional<Tensor> run_with_depthwise(const Chain& chain, const Tensor& x, const Tensor& mask,
                                           bool training) const;

 public:
};

// One step of a graph as the chain finder sees it.
struct GraphStep {
  Layer* layer;
  std::span<const int> inputs, outputs;
  std::optional<bool> training;
  const Json* kwargs = nullptr;  // the node's recorded call arguments, if any
};

// The chains of a graph of `slot_count` tensor slots whose `steps` run in order and whose model
// outputs are `output_slots`; null when there is none.
std::shared_ptr<const InferenceChains> find_inference_chains(std::span<const GraphStep> steps,
                                                             std::span<const int> output_slots, int slot_count);

}  // namespace ksave
