#include "inspect.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include "ksave/error.hpp"
#include "onnx_file.hpp"

namespace ksave::plugins::onnx_export {
namespace {

std::string shape_text(const proto::TypeProto& type) {
  if (!type.has_tensor_type() || !type.tensor_type().has_shape()) return "unknown";
  std::string text = "(";
  const auto& dims = type.tensor_type().shape().dim();
  for (int i = 0; i < dims.size(); ++i) {
    if (i) text += ", ";
    if (dims[i].has_dim_value()) text += std::to_string(dims[i].dim_value());
    else if (dims[i].has_dim_param()) text += dims[i].dim_param();
    else text += "?";
  }
  return text + (dims.size() == 1 ? ",)" : ")");
}

Json values(const google::protobuf::RepeatedPtrField<proto::ValueInfoProto>& infos) {
  Json out = Json::array();
  for (const auto& info : infos)
    out.push_back({{"name", info.name()},
                   {"type", onnx_type_name(info.type().tensor_type().elem_type())},
                   {"shape", shape_text(info.type())}});
  return out;
}

// Operator counts over the graph and every subgraph (Scan bodies).
void count_operators(const proto::GraphProto& graph, std::map<std::string, int>& counts) {
  for (const auto& node : graph.node()) {
    ++counts[(node.domain().empty() ? "" : node.domain() + ".") + node.op_type()];
    for (const auto& a : node.attribute()) {
      if (a.has_g()) count_operators(a.g(), counts);
      for (const auto& g : a.graphs()) count_operators(g, counts);
    }
  }
}

// An external initializer's "length": decimal bytes. std::stoull would let a damaged file's
// "x192" out as std::invalid_argument, naming neither the file nor the initializer.
std::uint64_t external_length(const std::string& text, const std::string& initializer, const std::filesystem::path& path) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size())
    throw Error("ONNX file '" + path.string() + "': initializer '" + initializer +
                "' gives its external data length as '" + text + "', expected a number of bytes");
  return value;
}

}  // namespace

Json describe_onnx(const std::filesystem::path& path) {
  const proto::ModelProto model = read_onnx(path);
  const proto::GraphProto& graph = model.graph();
  Json out = Json::object();
  out["format"] = "onnx";
  out["path"] = path.string();
  out["producer"] = model.producer_name() + (model.producer_version().empty() ? "" : " " + model.producer_version());
  out["ir_version"] = model.ir_version();
  Json opsets = Json::array();
  for (const auto& o : model.opset_import())
    opsets.push_back({{"domain", o.domain().empty() ? "ai.onnx" : o.domain()}, {"version", o.version()}});
  out["opset"] = opsets;
  out["graph"] = graph.name();
  out["inputs"] = values(graph.input());
  out["outputs"] = values(graph.output());
  std::uint64_t bytes = 0;
  std::vector<std::string> external;
  for (const auto& t : graph.initializer()) {
    bytes += t.raw_data().size();
    if (t.data_location() != proto::TensorProto::EXTERNAL) continue;
    for (const auto& e : t.external_data()) {
      if (e.key() == "length") bytes += external_length(e.value(), t.name(), path);
      if (e.key() == "location" && std::find(external.begin(), external.end(), e.value()) == external.end())
        external.push_back(e.value());
    }
  }
  out["initializers"] = graph.initializer_size();
  out["initializer_bytes"] = bytes;
  out["external_data"] = external.empty() ? Json(false) : Json(external);
  out["weights"] = graph.initializer_size() > 0;
  std::map<std::string, int> counts;
  count_operators(graph, counts);
  std::vector<std::pair<std::string, int>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  Json operators = Json::array();
  int nodes = 0;
  for (const auto& [type, count] : sorted) {
    operators.push_back({{"operator", type}, {"count", count}});
    nodes += count;
  }
  out["nodes"] = nodes;
  out["operators"] = operators;
  return out;
}

}  // namespace ksave::plugins::onnx_export
