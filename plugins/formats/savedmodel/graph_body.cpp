#include "graph_body.hpp"

#include <algorithm>

#include "graph_tensor.hpp"
#include "ksave/error.hpp"
#include "tf_op_import.hpp"

namespace ksave::plugins::savedmodel {
namespace {

std::size_t parse_index(const std::string& text, const std::string& name, const std::string& where) {
  if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw Error(where + ": bad tensor name '" + name + "'");
  return static_cast<std::size_t>(std::stoul(text));
}

}  // namespace

TensorRef PreparedBody::resolve(const std::string& name, const std::string& at) const {
  const std::string plain = !name.empty() && name[0] == '^' ? name.substr(1) : name;
  const auto first = plain.find(':');
  const std::string node = plain.substr(0, first);
  std::string out_arg;
  std::size_t output = 0;
  if (first != std::string::npos) {
    const auto second = plain.find(':', first + 1);
    if (second == std::string::npos) {
      output = parse_index(plain.substr(first + 1), name, at);
    } else {
      out_arg = plain.substr(first + 1, second - first - 1);
      output = parse_index(plain.substr(second + 1), name, at);
    }
  }
  if (function_body && first == std::string::npos && args.count(node)) return {-1, node, 0};
  auto it = index.find(node);
  if (it == index.end()) {
    if (!function_body) return {-1, node + ":" + std::to_string(output), 0};  // only a feed can give it
    throw Error(at + ": input '" + name + "' names no node or argument");
  }
  const tfproto::NodeDef& def = *nodes[static_cast<std::size_t>(it->second)].def;
  std::size_t flat = output;
  if (!out_arg.empty())
    if (const TfOpImporter* importer = find_tf_op_importer(def.op()); importer && importer->output_arg_offset)
      flat += importer->output_arg_offset(def, out_arg);
  return {it->second, node + ":" + std::to_string(output), flat};
}

std::shared_ptr<const PreparedBody> prepare_body(const Nodes& nodes, bool function_body, const std::vector<std::string>& args,
                                                 std::string where) {
  auto body = std::make_shared<PreparedBody>();
  body->function_body = function_body;
  body->where = std::move(where);
  body->args.insert(args.begin(), args.end());
  body->nodes.resize(static_cast<std::size_t>(nodes.size()));
  for (int i = 0; i < nodes.size(); ++i) {
    if (!body->index.emplace(nodes[i].name(), i).second) throw Error(body->where + ": two nodes are named '" + nodes[i].name() + "'");
    auto& node = body->nodes[static_cast<std::size_t>(i)];
    node.def = &nodes[i];
    node.where = body->where + " node '" + nodes[i].name() + "'";
  }
  for (auto& node : body->nodes) {
    for (const auto& input : node.def->input())
      if (input.empty() || input[0] != '^') node.inputs.push_back(body->resolve(input, node.where));
    node.attrs = attrs_from_node(*node.def);
    node.importer = find_tf_op_importer(node.def->op());
    if (node.def->op() == "Const") {
      const auto* value = find_attr(*node.def, "value");
      if (!value || !value->has_tensor()) throw Error(node.where + ": Const without a value");
      node.constant = tensor_from_proto(value->tensor(), node.where);
    }
  }
  return body;
}

}  // namespace ksave::plugins::savedmodel
