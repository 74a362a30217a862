#include "inference_chains.hpp"

#include "mixed_precision.hpp"

namespace ksave {

namespace {

// A mixed-precision layer runs its own call (whose rounding emulates the policy), never fused.
bool runs_float32(const Layer& layer) { return layer.dtype() == DType::Float32 && !layer.mixed_precision(); }

// The step that alone reads `step`'s only output, when that step takes one input and gives one
// output; nothing otherwise (the output is read twice, or is a model output).
std::optional<std::size_t> sole_reader(std::span<const GraphStep> steps, std::size_t step,
                                       const std::vector<int>& readers, const std::vector<int>& reading_step) {
  if (steps[step].outputs.size() != 1) return std::nullopt;
  const auto slot = static_cast<std::size_t>(steps[step].outputs[0]);
  if (readers[slot] != 1 || reading_step[slot] < 0) return std::nullopt;
  const auto next = static_cast<std::size_t>(reading_step[slot]);
  const GraphStep& s = steps[next];
  if (s.inputs.size() != 1 || s.outputs.size() != 1 || !runs_float32(*s.layer)) return std::nullopt;
  return next;
}

const char* fused_activation_of(const Layer& layer) {
  const auto* activation = dynamic_cast<const FusableActivationLayer*>(&layer);
  return activation ? activation->fused_activation() : nullptr;
}

}  // namespace

std::shared_ptr<const InferenceChains> find_inference_chains(std::span<const GraphStep> steps,
                                                             std::span<const int> output_slots, int slot_count) {
  // How many times each slot is read, and by which step (a model output counts as a read).
  std::vector<int> readers(static_cast<std::size_t>(slot_count), 0), reading_step(readers.size(), -1);
  for (std::size_t i = 0; i < steps.size(); ++i)
    for (int slot : steps[i].inputs) {
      ++readers[static_cast<std::size_t>(slot)];
      reading_step[static_cast<std::size_t>(slot)] = static_cast<int>(i);
    }
  for (int slot : output_slots) ++readers[static_cast<std::size_t>(slot)];

  auto chains = std::make_shared<InferenceChains>();
  chains->chain_at.resize(steps.size());
  chains->absorbed_into.assign(steps.size(), -1);
  chains->pair_at.resize(steps.size());
  chains->padded_product_output.assign(steps.size(), -1);
  bool any = false;
  for (std::size_t start = 0; start < steps.size(); ++start) {
    if (steps[start].inputs.size() != 1 || !runs_float32(*steps[start].layer)) continue;
    if (auto* normalization = dynamic_cast<NormalizationWithActivationLayer*>(steps[start].layer))
      if (const std::optional<std::size_t> next = sole_reader(steps, start, readers, reading_step))
        if (const char* activation = fused_activation_of(*steps[*next].layer)) {
          const int output_slot = steps[*next].outputs[0];
          chains->pair_at[start] = InferenceChains::ActivationPair{normalization, activation, output_slot};
          chains->absorbed_into[*next] = output_slot;  // the same slot when a product's chain absorbs it too
          any = true;
        }
    InferenceChains::Chain chain;
    std::vector<std::size_t> absorbed;
    // A zero padding the product takes as its own starts the chain; the product is then absorbed.
    std::size_t p = start;
    if (const auto* padding = dynamic_cast<const SpatialZeroPaddingLayer*>(steps[start].layer)) {
      const std::optional<std::size_t> reader = sole_reader(steps, start, readers, reading_step);
      auto* product = reader ? dynamic_cast<FoldableProductLayer*>(steps[*reader].layer) : nullptr;
      chain.zero_padding = padding->channels_last_zero_padding();
      if (!product || chain.zero_padding.empty() || !product->takes_zero_padding(chain.zero_padding.size())) continue;
      p = *reader;
      absorbed.push_back(p);
      chains->padded_product_output[p] = steps[p].outputs[0];
    }
    chain.product = dynamic_cast<FoldableProductLayer*>(steps[p].layer);
    if (!chain.product) continue;
    std::optional<std::size_t> next = sole_reader(steps, p, readers, reading_step);
    if (next)
      if (const auto* affine = dynamic_cast<const ChannelAffineLayer*>(steps[*next].layer)) {
        chain.affine = affine;
        chain.affine_training = steps[*next].training;
        absorbed.push_back(*next);
        next = sole_reader(steps, *next, readers, reading_step);
      }
    if (next)
      if (const char* activation = fused_activation_of(*steps[*next].layer)) {
        chain.activation = activation;
        absorbed.push_back(*next);
      }
    if (absorbed.empty()) continue;
    chain.output_slot = steps[absorbed.back()].outputs[0];
    chain.product_output_slot = steps[p].outputs[0];
    for (std::size_t step : absorbed) chains->absorbed_into[step] = chain.output_slot;
    chains->chain_at[start] = std::move(chain);
    any = true;
  }
  if (!any) return nullptr;
  return chains;
}

std::optional<Tensor> InferenceChains::run(std::size_t step, const Tensor& x, const Tensor& mask, bool training) const {
  const std::optional<Chain>& chain = chain_at[step];
  if (!chain || mask.defined() || ops_observed()) return std::nullopt;
  if (chain->affine && !chain->affine->is_channel_affine(chain->affine_training.value_or(training))) return std::nullopt;
  return chain->product->call_folded(x, {chain->zero_padding, chain->affine, chain->activation});
}

std::optional<Tensor> InferenceChains::run_padded(std::size_t step, const Tensor& x, const Tensor& mask) const {
  const std::optional<Chain>& chain = chain_at[step];
  // A graph tracer keeps Keras's own ops (ZeroPadding2D's Pad, then the convolution).
  if (!chain || chain->zero_padding.empty() || mask.defined() || !fused_ops_allowed() ||
      detail::MixedPrecisionCall::active_on_this_thread())
    return std::nullopt;
  return chain->product->call_with_zero_padding(x, chain->zero_padding);
}

std::optional<Tensor> InferenceChains::run_pair(std::size_t step, const Tensor& x, const Tensor& mask, bool training) const {
  const std::optional<ActivationPair>& pair = pair_at[step];
  if (!pair || mask.defined() || detail::MixedPrecisionCall::active_on_this_thread()) return std::nullopt;
  return pair->normalization->call_with_activation(x, training, pair->activation);
}

}  // namespace ksave
