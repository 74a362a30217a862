#include "graph_executor.hpp"

#include <algorithm>
#include <set>

#include "graph_tensor.hpp"
#include "graph_tensor_list.hpp"
#include "ksave/error.hpp"
#include "tf_op_import.hpp"

namespace ksave::plugins::savedmodel {
namespace {

using Nodes = google::protobuf::RepeatedPtrField<tfproto::NodeDef>;

// Nested function calls deeper than this are refused (a function that calls itself would
// otherwise recurse until the stack runs out).
constexpr int kMaxCallDepth = 64;
thread_local int call_depth = 0;
// A While loop running longer than this is taken for a hostile or broken graph.
constexpr std::int64_t kMaxLoopIterations = 1'000'000;

const std::set<std::string>& pass_through_ops() {
  static const std::set<std::string> ops{"Identity", "IdentityN", "StopGradient", "Snapshot", "PreventGradient"};
  return ops;
}
const std::set<std::string>& call_ops() {
  static const std::set<std::string> ops{"StatefulPartitionedCall", "PartitionedCall"};
  return ops;
}
const std::set<std::string>& variable_ops() {
  static const std::set<std::string> ops{"VarHandleOp", "VariableV2", "Variable"};
  return ops;
}
const std::set<std::string>& while_ops() {
  static const std::set<std::string> ops{"While", "StatelessWhile"};
  return ops;
}
const std::set<std::string>& if_ops() {
  static const std::set<std::string> ops{"If", "StatelessIf"};
  return ops;
}
bool executor_op(const std::string& op) {
  static const std::set<std::string> own{"Const", "Placeholder", "PlaceholderWithDefault", "NoOp", "ReadVariableOp"};
  return own.count(op) || pass_through_ops().count(op) || call_ops().count(op) || variable_ops().count(op) || while_ops().count(op) ||
         if_ops().count(op) || is_tensor_list_op(op);
}

// The function an attr of a call or control-flow node names ("f", "cond", "body", ...).
std::string function_attr(const tfproto::NodeDef& node, const char* name, const std::string& where) {
  const auto* f = find_attr(node, name);
  if (!f || !f->has_func()) throw Error(where + ": " + node.op() + " without a function attribute '" + name + "'");
  return f->func().name();
}

bool truthy(const GraphValues& values, const std::string& where) {
  if (values.empty() || !values[0].tensor.defined() || values[0].tensor.size() != 1)
    throw Error(where + ": the condition is not a scalar tensor");
  return values[0].tensor.item() != 0;
}

std::size_t parse_index(const std::string& text, const std::string& name, const std::string& where) {
  if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw Error(where + ": bad tensor name '" + name + "'");
  return static_cast<std::size_t>(std::stoul(text));
}

}  // namespace

// One evaluation of a function body or graph: each node's outputs computed at most once.
class GraphRun {
 public:
  GraphRun(const FunctionLibrary& library, const Nodes& nodes, bool function_body, std::string where,
           const VariableBinder* binder)
      : library_(library), nodes_(nodes), function_body_(function_body), where_(std::move(where)), binder_(binder) {
    for (int i = 0; i < nodes.size(); ++i)
      if (!index_.emplace(nodes[i].name(), i).second) throw Error(where_ + ": two nodes are named '" + nodes[i].name() + "'");
    outputs_.resize(static_cast<std::size_t>(nodes.size()));
    state_.assign(static_cast<std::size_t>(nodes.size()), kUnvisited);
  }

  // Function arguments by arg name; graph feeds by "node:idx".
  void set_input(const std::string& name, GraphValue value) { inputs_[name] = std::move(value); }

  GraphValue fetch(const std::string& name) {
    const Ref ref = parse(name, where_);
    if (ref.node < 0) return input_value(ref);
    evaluate(ref.node);
    return output_of(ref);
  }

  // The node indices `node` reads data from (control inputs and feeds excluded).
  std::vector<int> data_inputs(int node) const {
    std::vector<int> out;
    for (const auto& input : nodes_[node].input()) {
      if (!input.empty() && input[0] == '^') continue;
      const Ref ref = parse(input, location(node));
      if (ref.node >= 0) out.push_back(ref.node);
    }
    return out;
  }
  int node_index(const std::string& name) const { return parse(name, where_).node; }
  const Nodes& nodes() const { return nodes_; }
  std::string location(int node) const { return where_ + " node '" + nodes_[node].name() + "'"; }

 private:
  enum State : char { kUnvisited, kOnStack, kDone };
  struct Ref {
    int node = -1;        // -1: a function argument or a feed
    std::string key;      // the argument / feed name
    std::string out_arg;  // "z" in "add:z:0" (function bodies)
    std::size_t index = 0;
  };

  Ref parse(const std::string& name, const std::string& where) const {
    const std::string plain = !name.empty() && name[0] == '^' ? name.substr(1) : name;
    Ref ref;
    const auto first = plain.find(':');
    const std::string node = plain.substr(0, first);
    if (first != std::string::npos) {
      const auto second = plain.find(':', first + 1);
      if (second == std::string::npos) {
        ref.index = parse_index(plain.substr(first + 1), name, where);
      } else {
        ref.out_arg = plain.substr(first + 1, second - first - 1);
        ref.index = parse_index(plain.substr(second + 1), name, where);
      }
    }
    const std::string feed_key = node + ":" + std::to_string(ref.index);
    if (function_body_ && first == std::string::npos && inputs_.count(node)) {
      ref.key = node;
      return ref;
    }
    if (!function_body_ && inputs_.count(feed_key)) {
      ref.key = feed_key;
      return ref;
    }
    auto it = index_.find(node);
    if (it == index_.end()) throw Error(where + ": input '" + name + "' names no node or argument");
    ref.node = it->second;
    return ref;
  }

  GraphValue input_value(const Ref& ref) const { return inputs_.at(ref.key); }

  GraphValue output_of(const Ref& ref) const {
    const tfproto::NodeDef& node = nodes_[ref.node];
    std::size_t flat = ref.index;
    if (!ref.out_arg.empty())
      if (const TfOpImporter* importer = find_tf_op_importer(node.op()); importer && importer->output_arg_offset)
        flat += importer->output_arg_offset(node, ref.out_arg);
    const GraphValues& values = *outputs_[static_cast<std::size_t>(ref.node)];
    if (flat >= values.size())
      throw Error(location(ref.node) + " (" + node.op() + ") has " + std::to_string(values.size()) + " outputs, output " +
                  std::to_string(flat) + " was asked for");
    return values[flat];
  }

  // Post-order walk with an explicit stack; a node met again while on the stack is a cycle.
  void evaluate(int root) {
    std::vector<std::pair<int, bool>> stack{{root, false}};
    while (!stack.empty()) {
      auto [node, expanded] = stack.back();
      stack.pop_back();
      auto& state = state_[static_cast<std::size_t>(node)];
      if (state == kDone) continue;
      if (expanded) {
        run_node(node);
        state = kDone;
        continue;
      }
      if (state == kOnStack) throw Error(location(node) + " depends on itself (the graph has a cycle)");
      state = kOnStack;
      stack.emplace_back(node, true);
      for (int input : data_inputs(node)) {
        if (state_[static_cast<std::size_t>(input)] == kOnStack) throw Error(location(input) + " depends on itself (the graph has a cycle)");
        if (state_[static_cast<std::size_t>(input)] == kUnvisited) stack.emplace_back(input, false);
      }
    }
  }

  void run_node(int index) {
    const tfproto::NodeDef& node = nodes_[index];
    GraphValues inputs;
    for (const auto& input : node.input()) {
      if (!input.empty() && input[0] == '^') continue;
      const Ref ref = parse(input, location(index));
      inputs.push_back(ref.node < 0 ? input_value(ref) : output_of(ref));
    }
    try {
      outputs_[static_cast<std::size_t>(index)] = execute(node, std::move(inputs), location(index));
    } catch (const Error& e) {
      const std::string what = e.what();
      if (what.find(where_) != std::string::npos) throw;
      throw Error(location(index) + " (" + node.op() + "): " + what);
    }
  }

  GraphValues execute(const tfproto::NodeDef& node, GraphValues inputs, const std::string& where) const {
    const std::string& op = node.op();
    if (op == "Const") {
      const auto* value = find_attr(node, "value");
      if (!value || !value->has_tensor()) throw Error(where + ": Const without a value");
      return {tensor_value(tensor_from_proto(value->tensor(), where))};
    }
    if (op == "Placeholder") throw Error(where + ": placeholder '" + node.name() + "' was not fed");
    if (op == "PlaceholderWithDefault" || pass_through_ops().count(op)) return inputs;
    if (op == "NoOp") return {};
    if (op == "ReadVariableOp") {
      if (inputs.size() != 1 || !inputs[0].variable) throw Error(where + ": ReadVariableOp needs a variable handle");
      return {tensor_value(inputs[0].variable->value())};
    }
    if (variable_ops().count(op)) {
      if (!binder_) throw Error(where + ": a variable node where no variables are bound");
      VariablePtr variable = (*binder_)(node);
      return {variable_value(variable, variable->value())};
    }
    if (call_ops().count(op)) return library_.call(function_attr(node, "f", where), inputs);
    if (while_ops().count(op)) return run_while(node, std::move(inputs), where);
    if (if_ops().count(op)) {
      if (inputs.empty()) throw Error(where + ": If without a condition");
      const bool branch = truthy({inputs[0]}, where);
      return library_.call(function_attr(node, branch ? "then_branch" : "else_branch", where), GraphValues(inputs.begin() + 1, inputs.end()));
    }
    if (is_tensor_list_op(op)) return run_tensor_list_op(node, inputs, where);
    if (library_.find(op)) return library_.call(op, inputs);
    const TfOpImporter* importer = find_tf_op_importer(op);
    if (!importer) throw Error(where + ": TensorFlow op " + op + " is not supported by ksave");
    Tensors tensors;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i].tensor.defined()) throw Error(where + ": input " + std::to_string(i) + " is a resource handle, not a tensor");
      tensors.push_back(inputs[i].tensor);
    }
    Tensors results = importer->run(TfOpCall{node, tensors, where});
    GraphValues out;
    for (auto& t : results) out.push_back(tensor_value(std::move(t)));
    return out;
  }

  GraphValues run_while(const tfproto::NodeDef& node, GraphValues loop, const std::string& where) const {
    const std::string cond = function_attr(node, "cond", where), body = function_attr(node, "body", where);
    for (std::int64_t iteration = 0; truthy(library_.call(cond, loop), where); ++iteration) {
      if (iteration >= kMaxLoopIterations) throw Error(where + ": the loop ran more than " + std::to_string(kMaxLoopIterations) + " iterations");
      GraphValues next = library_.call(body, loop);
      if (next.size() != loop.size())
        throw Error(where + ": the loop body returned " + std::to_string(next.size()) + " values for " + std::to_string(loop.size()) + " loop variables");
      loop = std::move(next);
    }
    return loop;
  }

  const FunctionLibrary& library_;
  const Nodes& nodes_;
  bool function_body_;
  std::string where_;
  const VariableBinder* binder_;
  std::map<std::string, int> index_;
  std::map<std::string, GraphValue> inputs_;
  std::vector<std::optional<GraphValues>> outputs_;
  std::vector<char> state_;
};

namespace {

// Walks the data paths from `roots` in `run`, calling `visit` on every node once.
void walk_data_paths(const GraphRun& run, std::vector<int> roots, const std::function<void(int)>& visit) {
  std::vector<char> seen(static_cast<std::size_t>(run.nodes().size()), 0);
  while (!roots.empty()) {
    const int node = roots.back();
    roots.pop_back();
    if (node < 0 || seen[static_cast<std::size_t>(node)]) continue;
    seen[static_cast<std::size_t>(node)] = 1;
    visit(node);
    for (int input : run.data_inputs(node)) roots.push_back(input);
  }
}

// What stops a graph from running: op types ksave lacks and functions the library lacks, each
// with where it is used.
struct Findings {
  std::map<std::string, std::vector<std::string>> ops, functions;
};

// Collects the findings of one body and queues the functions it calls.
void scan_body(const FunctionLibrary& library, const GraphRun& run, const std::vector<int>& roots, Findings& found,
               std::vector<std::string>& callees) {
  walk_data_paths(run, roots, [&](int index) {
    const tfproto::NodeDef& node = run.nodes()[index];
    // Calls and control flow name their functions in attrs ("f", "cond", "body", branches).
    for (const auto& [name, value] : node.attr()) {
      if (!value.has_func()) continue;
      if (library.find(value.func().name())) callees.push_back(value.func().name());
      else found.functions[value.func().name()].push_back(run.location(index));
    }
    if (library.find(node.op())) {
      callees.push_back(node.op());
      return;
    }
    if (!executor_op(node.op()) && !find_tf_op_importer(node.op())) found.ops[node.op()].push_back(run.location(index));
  });
}

std::string describe(const std::string& title, const std::map<std::string, std::vector<std::string>>& found) {
  if (found.empty()) return {};
  std::string text = title;
  for (const auto& [name, places] : found) {
    text += " " + name + " (at " + places[0];
    if (places.size() > 1) text += " and " + std::to_string(places.size() - 1) + " more";
    text += ");";
  }
  text.pop_back();
  return text;
}

std::string describe(const Findings& found) {
  const std::string ops = describe("TensorFlow ops ksave cannot run:", found.ops);
  const std::string functions = describe("functions missing from the function library:", found.functions);
  return ops.empty() || functions.empty() ? ops + functions : ops + "; " + functions;
}

}  // namespace

FunctionLibrary::FunctionLibrary(std::shared_ptr<const void> owner, const tfproto::FunctionDefLibrary& library)
    : owner_(std::move(owner)) {
  for (const auto& f : library.function()) functions_[f.signature().name()] = &f;
}

const tfproto::FunctionDef* FunctionLibrary::find(const std::string& name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : it->second;
}

GraphValues FunctionLibrary::call(const std::string& name, const GraphValues& args) const {
  const tfproto::FunctionDef* f = find(name);
  if (!f) throw Error("function '" + name + "' is not in the SavedModel's function library");
  const std::string where = "function '" + name + "'";
  const auto& signature = f->signature();
  if (static_cast<std::size_t>(signature.input_arg_size()) != args.size())
    throw Error(where + " takes " + std::to_string(signature.input_arg_size()) + " arguments, " + std::to_string(args.size()) +
                " were given");
  if (call_depth >= kMaxCallDepth) throw Error(where + ": function calls nest deeper than " + std::to_string(kMaxCallDepth));
  ++call_depth;
  struct DepthGuard {
    ~DepthGuard() { --call_depth; }
  } guard;
  GraphRun run(*this, f->node_def(), true, where, nullptr);
  for (int i = 0; i < signature.input_arg_size(); ++i) run.set_input(signature.input_arg(i).name(), args[static_cast<std::size_t>(i)]);
  GraphValues results;
  for (const auto& output : signature.output_arg()) {
    auto it = f->ret().find(output.name());
    if (it == f->ret().end()) throw Error(where + ": output '" + output.name() + "' has no value in its ret map");
    results.push_back(run.fetch(it->second));
  }
  return results;
}

namespace {

// Scans every function reachable from `queue` into `found`.
void scan_functions(const FunctionLibrary& library, std::vector<std::string> queue, Findings& found) {
  std::set<std::string> done;
  while (!queue.empty()) {
    const std::string name = queue.back();
    queue.pop_back();
    if (!done.insert(name).second) continue;
    const tfproto::FunctionDef* f = library.find(name);
    if (!f) {
      found.functions[name].push_back("the caller");
      continue;
    }
    GraphRun run(library, f->node_def(), true, "function '" + name + "'", nullptr);
    for (const auto& arg : f->signature().input_arg()) run.set_input(arg.name(), {});
    std::vector<int> roots;
    for (const auto& [key, ref] : f->ret()) roots.push_back(run.node_index(ref));
    scan_body(library, run, roots, found, queue);
  }
}

}  // namespace

std::string FunctionLibrary::unsupported_ops(const std::vector<std::string>& functions) const {
  Findings found;
  scan_functions(*this, functions, found);
  return describe(found);
}

GraphValues run_graph(const tfproto::GraphDef& graph, const FunctionLibrary& library, const std::map<std::string, GraphValue>& feeds,
                      const std::vector<std::string>& fetches, const VariableBinder& bind_variable) {
  GraphRun run(library, graph.node(), false, "graph", &bind_variable);
  for (const auto& [name, value] : feeds) run.set_input(name.find(':') == std::string::npos ? name + ":0" : name, value);
  GraphValues results;
  for (const auto& name : fetches) results.push_back(run.fetch(name));
  return results;
}

std::string unsupported_graph_ops(const tfproto::GraphDef& graph, const FunctionLibrary& library, const std::vector<std::string>& feeds,
                                  const std::vector<std::string>& fetches) {
  Findings found;
  std::vector<std::string> callees;
  GraphRun run(library, graph.node(), false, "graph", nullptr);
  for (const auto& name : feeds) run.set_input(name.find(':') == std::string::npos ? name + ":0" : name, {});
  std::vector<int> roots;
  for (const auto& name : fetches) roots.push_back(run.node_index(name));
  scan_body(library, run, roots, found, callees);
  scan_functions(library, callees, found);
  return describe(found);
}

}  // namespace ksave::plugins::savedmodel
