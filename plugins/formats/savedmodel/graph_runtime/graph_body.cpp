#include "graph_body.hpp"

#include <algorithm>
#include <map>

#include "graph_tensor.hpp"
#include "graph_tensor_list.hpp"
#include "ksave/error.hpp"
#include "tf_op_import.hpp"

namespace ksave::plugins::savedmodel {
namespace {

std::size_t parse_index(const std::string& text, const std::string& name, const std::string& where) {
  if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw Error(where + ": bad tensor name '" + name + "'");
  return static_cast<std::size_t>(std::stoul(text));
}

const std::map<std::string, OpKind>& executor_ops() {
  static const std::map<std::string, OpKind> kinds{
      {"Const", OpKind::Const},          {"Placeholder", OpKind::Placeholder},         {"PlaceholderWithDefault", OpKind::PassThrough},
      {"Identity", OpKind::PassThrough}, {"IdentityN", OpKind::PassThrough},         {"StopGradient", OpKind::PassThrough},
      {"Snapshot", OpKind::PassThrough}, {"PreventGradient", OpKind::PassThrough},   {"NoOp", OpKind::NoOp},
      {"ReadVariableOp", OpKind::ReadVariable}, {"VarHandleOp", OpKind::Variable}, {"VariableV2", OpKind::Variable},
      {"Variable", OpKind::Variable},    {"StatefulPartitionedCall", OpKind::Call},    {"PartitionedCall", OpKind::Call},
      {"While", OpKind::While},          {"StatelessWhile", OpKind::While},            {"If", OpKind::If},
      {"StatelessIf", OpKind::If}};
  return kinds;
}

// The input's value when it is output 0 of a Const node (already decoded), else null.
const Tensor* constant_input(const PreparedBody& body, const TensorRef& ref) {
  if (ref.node < 0 || ref.flat != 0) return nullptr;
  const PreparedNode& source = body.nodes[static_cast<std::size_t>(ref.node)];
  return source.def->op() == "Const" ? &source.constant : nullptr;
}

// Converts the trailing constant inputs an importer reads as attributes once, here, instead of
// on every run; a node whose such inputs are not all Consts keeps converting them per run.
void fold_constant_inputs(const PreparedBody& body, PreparedNode& node) {
  const TfOpImporter* importer = node.importer;
  if (!importer || !importer->fold_constants || node.inputs.size() <= importer->first_constant_input) return;
  Tensors inputs;
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    const Tensor* constant = constant_input(body, node.inputs[i]);
    if (i >= importer->first_constant_input && !constant) return;
    inputs.push_back(constant ? *constant : Tensor());
  }
  try {
    node.attrs = importer->fold_constants(TfOpCall{*node.def, inputs, node.attrs, node.where});
  } catch (const Error&) {
    return;  // a bad constant is reported when the node runs, as for unfolded inputs
  }
  node.inputs.resize(importer->first_constant_input);
  node.constants_folded = true;
}

}  // namespace

OpKind op_kind(const std::string& op) {
  if (auto it = executor_ops().find(op); it != executor_ops().end()) return it->second;
  if (find_tf_op_importer(op)) return OpKind::Imported;
  return is_tensor_list_op(op) ? OpKind::TensorList : OpKind::Other;
}

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
  if (function_body && first == std::string::npos)
    if (auto arg = std::find(args.begin(), args.end(), node); arg != args.end()) return {-1, node, 0, static_cast<int>(arg - args.begin())};
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

std::shared_ptr<PreparedBody> prepare_body(const Nodes& nodes, bool function_body, const std::vector<std::string>& args,
                                           std::string where) {
  auto body = std::make_shared<PreparedBody>();
  body->function_body = function_body;
  body->where = std::move(where);
  body->args = args;
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
    node.kind = op_kind(node.def->op());
    if (const auto* f = find_attr(*node.def, "f"); f && f->has_func()) node.callee = f->func().name();
    if (node.def->op() == "Const") {
      const auto* value = find_attr(*node.def, "value");
      if (!value || !value->has_tensor()) throw Error(node.where + ": Const without a value");
      node.constant = tensor_from_proto(value->tensor(), node.where);
    }
  }
  // Graph feeds may replace any tensor, Consts included: only function bodies fold them.
  if (function_body)
    for (auto& node : body->nodes) fold_constant_inputs(*body, node);
  return body;
}

}  // namespace ksave::plugins::savedmodel
