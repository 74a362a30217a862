// Functional models: the graph walk that orders layers and nodes as Keras does, and execution.
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "inference_chains.hpp"
#include "slot_lease.hpp"
#include "ksave/model.hpp"

namespace ksave {


namespace {

Json name_config(const std::string& name, bool trainable) {
  Json c = Json::object();
  if (!name.empty()) c["name"] = name;
  c["trainable"] = trainable;
  return c;
}

// Keras's _build_map: depth-first from the outputs; nodes in post-order (inputs first), layers
// numbered in pre-order (first visit).
struct GraphMap {
  std::vector<std::shared_ptr<Node>> nodes_post_order;
  std::map<const Layer*, int> layer_index;
  std::set<const Node*> finished, in_progress;
  std::set<const Node*> stop_nodes;  // nodes of the model's inputs

  void visit(const KerasTensor& t) {
    const auto& node = t.node();
    if (finished.count(node.get())) return;
    if (in_progress.count(node.get()))
      throw Error("the graph has a cycle through layer '" + node->layer->name() + "'");
    layer_index.emplace(node->layer.get(), static_cast<int>(layer_index.size()));
    in_progress.insert(node.get());
    if (!stop_nodes.count(node.get())) {
      if (node->inputs.empty())
        throw Error("layer '" + node->layer->name() + "' is an input the model was not given in its inputs");
      for (const auto& in : node->inputs) visit(in);
    }
    finished.insert(node.get());
    in_progress.erase(node.get());
    nodes_post_order.push_back(node);
  }
};

// Frees a slot's tensor: moved out, it leaves no storage behind and allocates nothing (assigning a
// default Tensor would allocate its shape on every call).
void drop(Tensor& slot) { const Tensor gone = std::move(slot); }

}  // namespace

Functional::Functional(const KerasTensors& inputs, const KerasTensors& outputs, const std::string& name,
                       bool trainable)
    : Model(name_config(name, trainable), "Model"), inputs_(inputs), outputs_(outputs) {
  if (inputs_.empty()) throw Error("a functional model needs at least one input");
  if (outputs_.empty()) throw Error("a functional model needs at least one output");
  build_graph();
  set_built(true);
}

void Functional::build_graph() {
  GraphMap map;
  for (const auto& t : inputs_) {
    if (!t.defined()) throw Error("model '" + name() + "': an input KerasTensor is empty");
    map.stop_nodes.insert(t.node().get());
  }
  for (const auto& t : outputs_) {
    if (!t.defined()) throw Error("model '" + name() + "': an output KerasTensor is empty");
    map.visit(t);
  }

  // Depths as Keras computes them: outputs at 0, each node one deeper than its consumers,
  // a shared layer at the largest depth of its nodes.
  std::map<const Node*, int> node_depth;
  std::map<const Layer*, int> layer_depth;
  for (auto it = map.nodes_post_order.rbegin(); it != map.nodes_post_order.rend(); ++it) {
    const Node* node = it->get();
    int depth = std::max(node_depth[node], layer_depth[node->layer.get()]);
    layer_depth[node->layer.get()] = depth;
    node_depth[node] = depth;
    if (!map.stop_nodes.count(node))
      for (const auto& in : node->inputs) {
        int& d = node_depth[in.node().get()];
        d = std::max(d, depth + 1);
      }
  }
  // Inputs not connected to any output still belong to the model.
  for (const auto& t : inputs_) {
    const Layer* l = t.layer().get();
    if (!layer_depth.count(l)) {
      layer_depth[l] = 0;
      map.layer_index[l] = -1;
      map.nodes_post_order.insert(map.nodes_post_order.begin(), t.node());
      node_depth[t.node().get()] = 0;
    }
  }

  // model.layers: by decreasing depth, ties in traversal order.
  std::vector<LayerPtr> layers;
  std::set<const Layer*> seen;
  for (const auto& n : map.nodes_post_order)
    if (seen.insert(n->layer.get()).second) layers.push_back(n->layer);
  std::stable_sort(layers.begin(), layers.end(), [&](const LayerPtr& a, const LayerPtr& b) {
    int da = layer_depth[a.get()], db = layer_depth[b.get()];
    if (da != db) return da > db;
    return map.layer_index[a.get()] < map.layer_index[b.get()];
  });
  std::set<std::string> names;
  for (const auto& l : layers)
    if (!names.insert(l->name()).second)
      throw Error("model '" + name() + "': all layer names must be unique; '" + l->name() + "' is used twice");
  layers_in_order_ = layers;
  untrack_layers();
  for (const auto& l : layers) track_layer(l->name(), l);

  // Execution plan: every tensor gets a slot; nodes run in post-order.
  std::map<std::pair<const Node*, int>, int> slot_of;
  slot_count_ = 0;
  for (const auto& t : inputs_) slot_of[{t.node().get(), t.index()}] = slot_count_++;
  nodes_in_order_.clear();
  steps_.clear();
  for (const auto& n : map.nodes_post_order) {
    nodes_in_order_.push_back(n);
    if (map.stop_nodes.count(n.get())) continue;
    Step step;
    step.layer = n->layer;
    for (const auto& in : n->inputs) step.inputs.push_back(slot_of.at({in.node().get(), in.index()}));
    for (std::size_t i = 0; i < n->output_shapes.size(); ++i) {
      slot_of[{n.get(), static_cast<int>(i)}] = slot_count_;
      step.outputs.push_back(slot_count_++);
    }
    step.kwargs = n->call_kwargs;
    if (step.kwargs.contains("training") && step.kwargs["training"].is_boolean())
      step.training = step.kwargs["training"].get<bool>();
    steps_.push_back(std::move(step));
  }
  output_slots_.clear();
  for (const auto& t : outputs_) output_slots_.push_back(slot_of.at({t.node().get(), t.index()}));
  plan_tensor_lifetimes();
  std::vector<GraphStep> graph;
  for (const Step& step : steps_)
    graph.push_back({step.layer.get(), step.inputs, step.outputs, step.training, &step.kwargs});
  inference_chains_ = find_inference_chains(graph, output_slots_, slot_count_);
}

void Functional::plan_tensor_lifetimes() {
  // A call drops each tensor once its last reader ran, as TensorFlow's executor and ONNX Runtime's
  // memory planner do: a deep model's activations do not all live until the call returns, and
  // their buffers go back to the pool while later layers still need buffers of the same sizes.
  // A tensor nothing reads (an unused state output) goes right after the step that made it.
  const auto count = static_cast<std::size_t>(slot_count_);
  std::vector<int> last_step(count, -1);
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    for (int s : steps_[i].outputs) last_step[static_cast<std::size_t>(s)] = static_cast<int>(i);
    for (int s : steps_[i].inputs) last_step[static_cast<std::size_t>(s)] = static_cast<int>(i);
  }
  for (int s : output_slots_) last_step[static_cast<std::size_t>(s)] = -1;  // the caller's
  for (Step& step : steps_) step.released.clear();
  for (std::size_t s = 0; s < count; ++s)
    if (last_step[s] >= 0) steps_[static_cast<std::size_t>(last_step[s])].released.push_back(static_cast<int>(s));
}

Tensors Functional::call(const Tensors& inputs, const CallContext& ctx) {
  if (inputs.size() != inputs_.size())
    throw Error("model '" + name() + "' has " + std::to_string(inputs_.size()) + " inputs, was called with " +
                std::to_string(inputs.size()));
  detail::SlotLease tensor_lease(static_cast<std::size_t>(slot_count_));
  // Keras masks travel beside the tensors: one mask slot per tensor slot, undefined where none.
  detail::SlotLease mask_lease(static_cast<std::size_t>(slot_count_));
  std::vector<Tensor>& slots = tensor_lease.slots();
  std::vector<Tensor>& mask_slots = mask_lease.slots();
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    slots[i] = inputs[i];
    if (i < ctx.masks.size()) mask_slots[i] = ctx.masks[i];
  }
  Tensors args;
  for (std::size_t index = 0; index < steps_.size(); ++index) {
    if (index > 0)
      for (int s : steps_[index - 1].released) {
        drop(slots[static_cast<std::size_t>(s)]);
        drop(mask_slots[static_cast<std::size_t>(s)]);
      }
    const Step& step = steps_[index];
    // A product with the normalization and activation after it, in one op at inference.
    if (inference_chains_) {
      if (inference_chains_->absorbed(index, slots)) continue;
      if (step.inputs.size() == 1) {
        const auto in = static_cast<std::size_t>(step.inputs[0]);
        if (inference_chains_->run_in(index, slots, mask_slots, ctx.training)) continue;
        // Else a zero padding taken by the convolution after it, in training too.
        if (std::optional<Tensor> y = inference_chains_->run_padded(index, slots[in], mask_slots[in])) {
          slots[static_cast<std::size_t>(inference_chains_->chain_at[index]->product_output_slot)] = std::move(*y);
          continue;
        }
        // In training, a normalization with the activation after it, in one op.
        if (std::optional<Tensor> y = inference_chains_->run_pair(index, slots[in], mask_slots[in],
                                                                  step.training.value_or(ctx.training))) {
          slots[static_cast<std::size_t>(inference_chains_->pair_at[index]->output_slot)] = std::move(*y);
          continue;
        }
      }
    }
    args.clear();
    // A node recorded with an explicit training argument keeps it (Keras's call kwargs).
    CallContext step_ctx;
    bool any_mask = false;
    for (int s : step.inputs) {
      args.push_back(slots[static_cast<std::size_t>(s)]);
      step_ctx.masks.push_back(mask_slots[static_cast<std::size_t>(s)]);
      any_mask = any_mask || step_ctx.masks.back().defined();
    }
    if (!any_mask) step_ctx.masks.clear();
    step_ctx.training = step.training.value_or(ctx.training);
    step_ctx.kwargs = &step.kwargs;
    Tensors out = (*step.layer)(args, step_ctx);
    if (out.size() != step.outputs.size())
      throw Error("layer '" + step.layer->name() + "' returned " + std::to_string(out.size()) +
                  " tensors, its graph node expects " + std::to_string(step.outputs.size()));
    Tensors out_masks = step.layer->compute_mask(args, step_ctx.masks, out.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
      slots[static_cast<std::size_t>(step.outputs[i])] = std::move(out[i]);
      if (i < out_masks.size()) mask_slots[static_cast<std::size_t>(step.outputs[i])] = std::move(out_masks[i]);
    }
  }
  Tensors result;
  for (int s : output_slots_) result.push_back(slots[static_cast<std::size_t>(s)]);
  return result;
}

std::vector<Shape> Functional::compute_output_shape(const std::vector<Shape>&) {
  std::vector<Shape> out;
  for (const auto& t : outputs_) out.push_back(t.shape());
  return out;
}

DType Functional::output_dtype(const std::vector<DType>&) const { return outputs_.front().dtype(); }

}  // namespace ksave
