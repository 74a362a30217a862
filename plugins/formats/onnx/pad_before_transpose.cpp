#include "pad_before_transpose.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>

namespace ksave::plugins::onnx_export {
namespace {

bool is_window_operator(const std::string& op) { return op == "Conv" || op == "MaxPool" || op == "AveragePool"; }

const proto::AttributeProto* attribute(const proto::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

// The int64 values of the initializer `name`, when it is one (the exporter writes raw_data).
std::optional<std::vector<std::int64_t>> int64_initializer(const proto::GraphProto& graph, const std::string& name) {
  for (const auto& t : graph.initializer()) {
    if (t.name() != name) continue;
    if (t.data_type() != proto::TensorProto::INT64) return std::nullopt;
    if (!t.raw_data().empty()) {
      std::vector<std::int64_t> values(t.raw_data().size() / sizeof(std::int64_t));
      std::memcpy(values.data(), t.raw_data().data(), values.size() * sizeof(std::int64_t));
      return values;
    }
    return std::vector<std::int64_t>(t.int64_data().begin(), t.int64_data().end());
  }
  return std::nullopt;
}

// A zero-constant Pad: mode constant (the default), no constant value given.
bool is_zero_pad(const proto::NodeProto& node) {
  if (node.op_type() != "Pad" || node.input_size() != 2 || node.output_size() != 1) return false;
  const proto::AttributeProto* mode = attribute(node, "mode");
  return !mode || mode->s() == "constant";
}

// Drops the initializers among `names` that no node reads any more (ONNX Runtime warns of each).
void drop_unread_initializers(proto::GraphProto& graph, const std::set<std::string>& names) {
  std::set<std::string> read;
  for (const auto& node : graph.node())
    for (const auto& in : node.input()) read.insert(in);
  auto* initializers = graph.mutable_initializer();
  for (int i = initializers->size() - 1; i >= 0; --i)
    if (names.count(initializers->Get(i).name()) && !read.count(initializers->Get(i).name())) initializers->DeleteSubrange(i, 1);
}

}  // namespace

std::size_t move_pads_after_transposes(proto::GraphProto& graph, GraphBuilder& builder) {
  std::map<std::string, int> producer;
  std::map<std::string, std::vector<int>> consumers;
  for (int i = 0; i < graph.node_size(); ++i) {
    for (const auto& out : graph.node(i).output()) producer[out] = i;
    for (const auto& in : graph.node(i).input()) consumers[in].push_back(i);
  }
  std::set<std::string> graph_outputs;
  for (const auto& o : graph.output()) graph_outputs.insert(o.name());

  std::size_t moved = 0;
  std::set<std::string> replaced_pads;
  for (int t = 0; t < graph.node_size(); ++t) {
    proto::NodeProto& transpose = *graph.mutable_node(t);
    if (transpose.op_type() != "Transpose" || transpose.input_size() != 1) continue;
    const std::string padded = transpose.input(0);
    const auto from = producer.find(padded);
    if (from == producer.end() || consumers[padded].size() != 1 || graph_outputs.count(padded)) continue;
    const std::string& result = transpose.output(0);
    const auto& readers = consumers[result];
    if (readers.empty() || graph_outputs.count(result) ||
        !std::all_of(readers.begin(), readers.end(), [&](int r) { return is_window_operator(graph.node(r).op_type()); }))
      continue;
    const int p = from->second;
    proto::NodeProto& pad = *graph.mutable_node(p);
    const proto::AttributeProto* perm_attribute = attribute(transpose, "perm");
    const auto pads = is_zero_pad(pad) ? int64_initializer(graph, pad.input(1)) : std::nullopt;
    if (!perm_attribute || !pads) continue;
    const std::vector<std::int64_t> perm(perm_attribute->ints().begin(), perm_attribute->ints().end());
    const std::size_t rank = perm.size();
    if (pads->size() != 2 * rank) continue;
    // Output axis i of the Transpose is its input's axis perm[i]: it takes that axis's padding.
    std::vector<std::int64_t> moved_pads(2 * rank);
    for (std::size_t i = 0; i < rank; ++i) {
      moved_pads[i] = (*pads)[static_cast<std::size_t>(perm[i])];
      moved_pads[i + rank] = (*pads)[static_cast<std::size_t>(perm[i]) + rank];
    }
    // Transpose(Pad(x)) -> Pad(Transpose(x)): the Transpose reads x and writes the name the Pad
    // wrote (read by nothing else); the Pad writes the Transpose's result. Swapping their places
    // keeps the node list topologically sorted (x is made before the Pad's place, the readers of
    // the result come after the Transpose's).
    const std::string source = pad.input(0);
    replaced_pads.insert(pad.input(1));
    const std::string pads_name = builder.ints(moved_pads);
    transpose.set_input(0, source);
    pad.set_input(0, padded);
    pad.set_input(1, pads_name);
    pad.set_output(0, result);
    transpose.set_output(0, padded);
    graph.mutable_node()->SwapElements(p, t);
    ++moved;
  }
  drop_unread_initializers(graph, replaced_pads);
  return moved;
}

}  // namespace ksave::plugins::onnx_export
