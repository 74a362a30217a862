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

// Who reads and makes each slot of a graph.
struct SlotUse {
  std::vector<int> readers, reading_step;  // how many reads (a model output counts as one), the last reader
  std::vector<int> made_by;                // the step that makes it, -1 for a model input
  std::vector<int> reader_before_last;     // the step that read it before the last reader did, or -1
  std::vector<bool> model_output;
};

SlotUse slot_use(std::span<const GraphStep> steps, std::span<const int> output_slots, int slot_count) {
  const auto count = static_cast<std::size_t>(slot_count);
  SlotUse use{std::vector<int>(count, 0), std::vector<int>(count, -1), std::vector<int>(count, -1),
              std::vector<int>(count, -1), std::vector<bool>(count, false)};
  for (std::size_t i = 0; i < steps.size(); ++i) {
    for (int slot : steps[i].inputs) {
      const auto s = static_cast<std::size_t>(slot);
      ++use.readers[s];
      if (use.reading_step[s] != static_cast<int>(i)) use.reader_before_last[s] = use.reading_step[s];
      use.reading_step[s] = static_cast<int>(i);
    }
    for (int slot : steps[i].outputs) use.made_by[static_cast<std::size_t>(slot)] = static_cast<int>(i);
  }
  for (int slot : output_slots) {
    ++use.readers[static_cast<std::size_t>(slot)];
    use.model_output[static_cast<std::size_t>(slot)] = true;
  }
  return use;
}

// A residual Add after a chain from step `start` whose last step is `last`: the Add reads only
// that step's output, adds two inputs, and its other input was made by a step before `start`
// (not the caller's tensor), is read by no step from `start` on but the Add and is no model
// output — so the chain's product can add into it in place. Its other input and step, or nothing.
std::optional<std::pair<int, std::size_t>> residual_add_after(std::span<const GraphStep> steps, std::size_t start,
                                                              std::size_t last, const SlotUse& use) {
  if (steps[last].outputs.size() != 1) return std::nullopt;
  const auto out = static_cast<std::size_t>(steps[last].outputs[0]);
  if (use.readers[out] != 1 || use.reading_step[out] < 0) return std::nullopt;
  const auto add = static_cast<std::size_t>(use.reading_step[out]);
  const GraphStep& s = steps[add];
  const auto* sum = dynamic_cast<const ElementwiseSumLayer*>(s.layer);
  if (!sum || s.inputs.size() != 2 || s.outputs.size() != 1 || !runs_float32(*s.layer) || !sum->sums_two_inputs(s.kwargs))
    return std::nullopt;
  const int other = s.inputs[0] == static_cast<int>(out) ? s.inputs[1] : s.inputs[0];
  const auto o = static_cast<std::size_t>(other);
  if (other == static_cast<int>(out) || use.model_output[o] || use.made_by[o] < 0 ||
      use.made_by[o] >= static_cast<int>(start) || use.reading_step[o] != static_cast<int>(add) ||
      use.reader_before_last[o] >= static_cast<int>(start))
    return std::nullopt;
  return std::pair{other, add};
}

const char* fused_activation_of(const Layer& layer) {
  const auto* activation = dynamic_cast<const FusableActivationLayer*>(&layer);
  return activation ? activation->fused_activation() : nullptr;
}

}  // namespace

std::shared_ptr<const InferenceChains> find_inference_chains(std::span<const GraphStep> steps,
                                                             std::span<const int> output_slots, int slot_count) {
  const SlotUse use = slot_use(steps, output_slots, slot_count);
  const std::vector<int>& readers = use.readers;
  const std::vector<int>& reading_step = use.reading_step;

  auto chains = std::make_shared<InferenceChains>();
  chains->chain_at.resize(steps.size());
  chains->absorbed_into.assign(steps.size(), -1);
  chains->summed_into.assign(steps.size(), -1);
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
    const std::size_t last = absorbed.empty() ? p : absorbed.back();
    std::optional<std::pair<int, std::size_t>> add;
    if (chain.product->adds_in_place()) add = residual_add_after(steps, start, last, use);
    if (absorbed.empty() && !add) continue;
    chain.output_slot = steps[last].outputs[0];
    chain.product_output_slot = steps[p].outputs[0];
    chain.input_slot = steps[start].inputs[0];
    for (std::size_t step : absorbed) chains->absorbed_into[step] = chain.output_slot;
    if (add) {
      chain.addend_slot = add->first;
      std::vector<std::size_t> summed = absorbed;
      summed.push_back(add->second);
      if (const std::optional<std::size_t> next = sole_reader(steps, add->second, readers, reading_step))
        if (const char* activation = fused_activation_of(*steps[*next].layer)) {
          chain.activation_after_add = activation;
          summed.push_back(*next);
        }
      chain.sum_output_slot = steps[summed.back()].outputs[0];
      for (std::size_t step : summed) chains->summed_into[step] = chain.sum_output_slot;
    }
    chains->chain_at[start] = std::move(chain);
    any = true;
  }
  // A 1x1 chain whose output only a depthwise chain reads runs that chain inside (the depthwise
  // chain's steps are then absorbed into the chain of the 1x1, which fills the depthwise output).
  for (std::size_t start = 0; start < steps.size(); ++start) {
    std::optional<InferenceChains::Chain>& chain = chains->chain_at[start];
    if (!chain || chain->addend_slot >= 0 || !dynamic_cast<DepthwiseStageHost*>(chain->product)) continue;
    const auto out = static_cast<std::size_t>(chain->output_slot);
    if (readers[out] != 1 || reading_step[out] < 0) continue;
    const auto next = static_cast<std::size_t>(reading_step[out]);
    const std::optional<InferenceChains::Chain>& stage = chains->chain_at[next];
    if (!stage || stage->addend_slot >= 0 || stage->input_slot != chain->output_slot ||
        !dynamic_cast<DepthwiseStageLayer*>(stage->product))
      continue;
    chain->depthwise_step = static_cast<int>(next);
    chains->depthwise_output.resize(steps.size(), -1);
    chains->depthwise_output[next] = stage->output_slot;
    for (std::size_t step = start + 1; step < next; ++step)  // the 1x1 chain's own layers after the product
      if (chains->absorbed_into[step] == chain->output_slot) chains->depthwise_output[step] = stage->output_slot;
  }
  if (!any) return nullptr;
  return chains;
}

std::optional<Tensor> InferenceChains::run(std::size_t step, const Tensor& x, const Tensor& mask, bool training,
                                           const Tensor* addend) const {
  const std::optional<Chain>& chain = chain_at[step];
  if (!chain || mask.defined() || ops_observed()) return std::nullopt;
  if (chain->affine && !chain->affine->is_channel_affine(chain->affine_training.value_or(training))) return std::nullopt;
  return chain->product->call_folded(
      x, {chain->zero_padding, chain->affine, chain->activation, addend, addend ? chain->activation_after_add : "linear"});
}

std::optional<Tensor> InferenceChains::run_with_depthwise(const Chain& chain, const Tensor& x, const Tensor& mask,
                                                          bool training) const {
  const Chain& stage = *chain_at[static_cast<std::size_t>(chain.depthwise_step)];
  if (mask.defined() || ops_observed()) return std::nullopt;
  if (chain.affine && !chain.affine->is_channel_affine(chain.affine_training.value_or(training))) return std::nullopt;
  if (stage.affine && !stage.affine->is_channel_affine(stage.affine_training.value_or(training))) return std::nullopt;
  auto* host = dynamic_cast<DepthwiseStageHost*>(chain.product);
  auto* next = dynamic_cast<DepthwiseStageLayer*>(stage.product);
  return host->call_folded_with_depthwise(x, {chain.zero_padding, chain.affine, chain.activation},
                                          *next, {stage.zero_padding, stage.affine, stage.activation});
}

bool InferenceChains::run_in(std::size_t step, std::vector<Tensor>& slots, const std::vector<Tensor>& masks,
                             bool training) const {
  const std::optional<Chain>& chain = chain_at[step];
  if (!chain) return false;
  const auto in = static_cast<std::size_t>(chain->input_slot);
  if (chain->depthwise_step >= 0)
    if (std::optional<Tensor> y = run_with_depthwise(*chain, slots[in], masks[in], training)) {
      slots[static_cast<std::size_t>(chain_at[static_cast<std::size_t>(chain->depthwise_step)]->output_slot)] =
          std::move(*y);
      return true;
    }
  if (chain->addend_slot >= 0) {
    const auto a = static_cast<std::size_t>(chain->addend_slot);
    // In place only into a float32 tensor that nothing else holds: not the caller's, not a view
    // sharing another tensor's storage (a Reshape's output), not kept by a layer.
    if (!masks[a].defined() && slots[a].dtype() == DType::Float32 && slots[a].storage() &&
        slots[a].storage().use_count() == 1) {
      Tensor addend = std::move(slots[a]);
      if (std::optional<Tensor> y = run(step, slots[in], masks[in], training, &addend)) {
        slots[static_cast<std::size_t>(chain->sum_output_slot)] = std::move(*y);
        return true;
      }
      slots[a] = std::move(addend);  // the product declined (a broadcasting Add, ...): the Add runs
    }
  }
  std::optional<Tensor> y = run(step, slots[in], masks[in], training);
  if (!y) return false;
  slots[static_cast<std::size_t>(chain->output_slot)] = std::move(*y);
  return true;
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
