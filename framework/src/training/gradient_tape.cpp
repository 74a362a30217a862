#include "ksave/autodiff.hpp"

#include <algorithm>
#include <unordered_map>

#include "ksave/ops.hpp"

namespace ksave {
namespace {

// A tensor's identity on the tape: its storage, shape and dtype (views share storage).
struct TensorKey {
  const void* storage;
  Shape shape;
  DType dtype;
  bool operator==(const TensorKey&) const = default;
};

struct TensorKeyHash {
  std::size_t operator()(const TensorKey& k) const {
    std::size_t h = std::hash<const void*>()(k.storage) ^ (static_cast<std::size_t>(k.dtype) << 7);
    for (Dim d : k.shape) h = h * 1000003u ^ std::hash<Dim>()(d);
    return h;
  }
};

TensorKey key_of(const Tensor& t) { return {t.storage().get(), t.shape(), t.dtype()}; }

}  // namespace

struct GradientTape::Graph {
  struct Call {
    const OpDef* op;
    Attrs attrs;
    Tensors inputs;   // held so storages stay alive (and addresses unique) while the tape lives
    Tensors outputs;
    std::vector<int> input_nodes;
    std::vector<int> output_nodes;
  };
  std::vector<Call> calls;
  int node_count = 0;
  // The node a tensor refers to now: the latest call output with that key, else its leaf.
  std::unordered_map<TensorKey, int, TensorKeyHash> current;
  // The first node seen for a key: a variable's value is a leaf, whatever views are made of it.
  std::unordered_map<TensorKey, int, TensorKeyHash> first;

  int node_for_input(const Tensor& t) {
    TensorKey k = key_of(t);
    if (auto it = current.find(k); it != current.end()) return it->second;
    int id = node_count++;
    current.emplace(k, id);
    first.emplace(std::move(k), id);
    return id;
  }
  int node_for_output(const Tensor& t) {
    int id = node_count++;
    TensorKey k = key_of(t);
    first.try_emplace(k, id);
    current.insert_or_assign(std::move(k), id);
    return id;
  }
};

GradientTape::GradientTape() : graph_(std::make_unique<Graph>()) { scope_.emplace(*this); }

GradientTape::~GradientTape() = default;

std::size_t GradientTape::size() const { return graph_->calls.size(); }

void GradientTape::on_op(const OpDef& op, std::span<const Tensor> inputs, const Attrs& attrs,
                         std::span<const Tensor> outputs) {
  if (!recording_) return;
  Graph::Call call{&op, attrs, Tensors(inputs.begin(), inputs.end()), Tensors(outputs.begin(), outputs.end()), {}, {}};
  for (const Tensor& t : inputs) call.input_nodes.push_back(t.defined() ? graph_->node_for_input(t) : -1);
  for (const Tensor& t : outputs) call.output_nodes.push_back(t.defined() ? graph_->node_for_output(t) : -1);
  graph_->calls.push_back(std::move(call));
}

namespace {

std::vector<Tensor> values_of(const std::vector<VariablePtr>& variables) {
  std::vector<Tensor> sources;
  sources.reserve(variables.size());
  for (const auto& v : variables) sources.push_back(v->value());
  return sources;
}

// Reports every source whose gradient was not reported yet (the walk is over).
void report_rest(const GradientTape::GradientReady* on_ready, std::vector<char>& reported,
                 const std::vector<Tensor>& result) {
  if (!on_ready) return;
  for (std::size_t i = 0; i < result.size(); ++i)
    if (!reported[i]) (*on_ready)(i, result[i]);
}

}  // namespace

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<VariablePtr>& variables) {
  return gradient_impl(target, values_of(variables), nullptr);
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<VariablePtr>& variables,
                                           const GradientReady& on_ready) {
  return gradient_impl(target, values_of(variables), &on_ready);
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<VariablePtr>& variables,
                                           std::vector<std::optional<IndexedSlices>>& slices) {
  return gradient_impl(target, values_of(variables), nullptr, &slices);
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Tensor>& sources) {
  return gradient_impl(target, sources, nullptr);
}

std::vector<Tensor> GradientTape::gradient_impl(const Tensor& target, const std::vector<Tensor>& sources,
                                                const GradientReady* on_ready,
                                                std::vector<std::optional<IndexedSlices>>* slices) {
  Pause pause(*this);  // the gradient's own op calls are not part of the recorded computation
  Graph& g = *graph_;
  if (slices) slices->assign(sources.size(), std::nullopt);
  std::vector<Tensor> result(sources.size());
  std::vector<char> reported(sources.size(), 0);
  if (!target.defined() || !is_floating(target.dtype())) {
    report_rest(on_ready, reported, result);
    return result;
  }
  auto target_it = g.current.find(key_of(target));
  if (target_it == g.current.end()) {  // not computed on this tape
    report_rest(on_ready, reported, result);
    return result;
  }

  // Nodes that depend on a source (forward), so the backward walk skips everything else
  // (labels, masks, loss terms that do not involve the variables).
  std::vector<char> depends(static_cast<std::size_t>(g.node_count), 0);
  std::vector<int> source_nodes(sources.size(), -1);
  for (std::size_t i = 0; i < sources.size(); ++i) {
    if (!sources[i].defined()) continue;
    if (auto it = g.first.find(key_of(sources[i])); it != g.first.end()) {
      source_nodes[i] = it->second;
      depends[static_cast<std::size_t>(it->second)] = 1;
    }
  }
  for (const auto& call : g.calls) {
    if (!call.op->gradient) continue;
    bool any = false;
    for (int n : call.input_nodes) any = any || (n >= 0 && depends[static_cast<std::size_t>(n)]);
    if (!any) continue;
    for (std::size_t k = 0; k < call.outputs.size(); ++k)
      if (call.output_nodes[k] >= 0 && is_floating(call.outputs[k].dtype()))
        depends[static_cast<std::size_t>(call.output_nodes[k])] = 1;
  }
  const int target_node = target_it->second;
  if (!depends[static_cast<std::size_t>(target_node)]) {
    report_rest(on_ready, reported, result);
    return result;
  }

  // For readiness: the earliest call that reads each source; once the backward walk has
  // processed it, nothing adds to that source's gradient any more.
  std::vector<std::vector<std::size_t>> ready_after(on_ready ? g.calls.size() : 0);
  if (on_ready) {
    for (std::size_t i = 0; i < sources.size(); ++i) {
      if (source_nodes[i] < 0) continue;
      for (std::size_t c = 0; c < g.calls.size(); ++c) {
        const auto& nodes = g.calls[c].input_nodes;
        if (g.calls[c].op->gradient && std::find(nodes.begin(), nodes.end(), source_nodes[i]) != nodes.end()) {
          ready_after[c].push_back(i);
          break;
        }
      }
    }
  }

  std::vector<Tensor> grads(static_cast<std::size_t>(g.node_count));
  auto accumulate = [&](int node, const Tensor& grad) {
    Tensor& slot = grads[static_cast<std::size_t>(node)];
    slot = slot.defined() ? ops::add(slot, grad) : grad;
  };
  grads[static_cast<std::size_t>(target_node)] = ops::ones_like(target);

  auto report_ready = [&](std::size_t call_index) {
    if (!on_ready) return;
    for (std::size_t i : ready_after[call_index]) {
      result[i] = grads[static_cast<std::size_t>(source_nodes[i])];
      reported[i] = 1;
      (*on_ready)(i, result[i]);
    }
  };
  // Applies one call's gradient to its inputs' gradients.
  auto back_through = [&](const Graph::Call& call) {
    Tensors output_grads(call.outputs.size());
    bool any_grad = false;
    for (std::size_t k = 0; k < call.outputs.size(); ++k) {
      int n = call.output_nodes[k];
      if (n < 0) continue;
      output_grads[k] = grads[static_cast<std::size_t>(n)];
      any_grad = any_grad || output_grads[k].defined();
    }
    if (!any_grad) return;
    std::vector<char> wanted(call.inputs.size(), 0);
    bool needed = false;
    for (std::size_t i = 0; i < call.inputs.size(); ++i) {
      const int n = call.input_nodes[i];
      wanted[i] = n >= 0 && depends[static_cast<std::size_t>(n)];
      needed = needed || wanted[i];
    }
    if (!needed) return;
    Tensors input_grads =
        call.op->gradient(GradientContext{call.inputs, call.outputs, output_grads, call.attrs, wanted});
    if (input_grads.size() != call.inputs.size())
      throw Error("gradient of op " + call.op->name + " returned " + std::to_string(input_grads.size()) +
                  " gradients for " + std::to_string(call.inputs.size()) + " inputs");
    for (std::size_t i = 0; i < input_grads.size(); ++i) {
      int n = call.input_nodes[i];
      if (n < 0 || !depends[static_cast<std::size_t>(n)] || !input_grads[i].defined()) continue;
      if (input_grads[i].shape() != call.inputs[i].shape())
        throw Error("gradient of op " + call.op->name + " for input " + std::to_string(i) + " has shape " +
                    shape_to_string(input_grads[i].shape()) + ", the input has " +
                    shape_to_string(call.inputs[i].shape()));
      accumulate(n, input_grads[i]);
    }
  };
  for (std::size_t c = g.calls.size(); c-- > 0;) {
    if (!g.calls[c].op->gradient) continue;
    back_through(g.calls[c]);
    report_ready(c);
  }
  for (std::size_t i = 0; i < sources.size(); ++i)
    if (source_nodes[i] >= 0) result[i] = grads[static_cast<std::size_t>(source_nodes[i])];
  report_rest(on_ready, reported, result);

  // TensorFlow's IndexedSlices: the output gradients of the gathers that read the source, as long
  // as every read a gradient came back through is such a gather (any other makes it dense).
  if (!slices) return result;
  std::unordered_map<int, std::vector<std::size_t>> readers;  // source node -> its reading calls
  for (std::size_t i = 0; i < sources.size(); ++i)
    if (source_nodes[i] >= 0 && result[i].defined()) readers.try_emplace(source_nodes[i]);
  for (std::size_t c = g.calls.size(); c-- > 0;) {  // the backward walk's order
    if (!g.calls[c].op->gradient) continue;
    for (int n : g.calls[c].input_nodes)
      if (auto it = readers.find(n); it != readers.end() && (it->second.empty() || it->second.back() != c))
        it->second.push_back(c);
  }
  const auto slices_of = [&](int source) -> std::optional<IndexedSlices> {
    std::vector<Tensor> indices, values;
    for (std::size_t c : readers.at(source)) {
      const Graph::Call& call = g.calls[c];
      const std::vector<int>& in = call.input_nodes;
      const int out = call.output_nodes.empty() ? -1 : call.output_nodes[0];
      const bool received = std::any_of(call.output_nodes.begin(), call.output_nodes.end(),
                                        [&](int n) { return n >= 0 && grads[static_cast<std::size_t>(n)].defined(); });
      if (!received) continue;
      const bool gathers_rows = call.op->name == "GatherV2" && in[0] == source && in[1] != source &&
                                call.attrs.get_or<std::int64_t>("axis", 0) == 0 && out >= 0;
      if (!gathers_rows) return std::nullopt;
      const Tensor& ids = call.inputs[1];
      indices.push_back(ids.cast(DType::Int64).reshape({ids.size()}));
      Shape rows = call.inputs[0].shape();
      rows[0] = ids.size();
      values.push_back(grads[static_cast<std::size_t>(out)].as_float().reshape(rows));
    }
    if (values.empty()) return std::nullopt;
    return IndexedSlices{concat_rows(indices), concat_rows(values)};
  };
  for (std::size_t i = 0; i < sources.size(); ++i)
    if (readers.count(source_nodes[i])) (*slices)[i] = slices_of(source_nodes[i]);
  return result;
}

}  // namespace ksave
