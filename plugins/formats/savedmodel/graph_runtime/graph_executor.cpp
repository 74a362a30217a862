#include "graph_executor.hpp"

#include <algorithm>
#include <set>

#include "graph_body.hpp"
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

bool executor_op(const std::string& op) {
  const OpKind kind = op_kind(op);
  return kind != OpKind::Other && kind != OpKind::Imported;
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

// The per-run state of a GraphRun. Kept per thread and per call depth and reused, so a call
// allocates no node-output vectors once a body has run on that thread (cleared values keep their
// capacity). Per thread: loaded functions may run on several threads at once.
struct RunBuffers {
  bool in_use = false;
  GraphValues args;
  std::vector<GraphValues> outputs;  // one per node; only the first body.nodes.size() are used
  std::vector<char> state;
  std::vector<std::pair<int, bool>> stack;
  Tensors tensors;  // an imported op's inputs, reused across nodes
};
thread_local std::vector<std::unique_ptr<RunBuffers>> buffers_by_depth;

// The buffers of the current call depth, or `spare` when they are taken (a run nested at the
// same depth, which the executor does not do, would still be correct).
RunBuffers& acquire_buffers(std::unique_ptr<RunBuffers>& spare) {
  const auto depth = static_cast<std::size_t>(call_depth);
  if (buffers_by_depth.size() <= depth) buffers_by_depth.resize(depth + 1);
  auto& slot = buffers_by_depth[depth];
  if (!slot) slot = std::make_unique<RunBuffers>();
  if (slot->in_use) {
    spare = std::make_unique<RunBuffers>();
    return *spare;
  }
  slot->in_use = true;
  return *slot;
}

}  // namespace

// One evaluation of a prepared function body or graph: each node's outputs computed at most once.
class GraphRun {
 public:
  GraphRun(const FunctionLibrary& library, const PreparedBody& body, const VariableBinder* binder)
      : library_(library), body_(body), binder_(binder), buffers_(acquire_buffers(spare_)), args_(buffers_.args),
        outputs_(buffers_.outputs), state_(buffers_.state), stack_(buffers_.stack), tensors_(buffers_.tensors) {
    if (outputs_.size() < body.nodes.size()) outputs_.resize(body.nodes.size());
    state_.assign(body.nodes.size(), kUnvisited);
  }
  GraphRun(const GraphRun&) = delete;
  GraphRun& operator=(const GraphRun&) = delete;
  // Drops the values (the tensors must not outlive the run) but keeps the vectors' capacity.
  ~GraphRun() {
    for (std::size_t i = 0; i < body_.nodes.size(); ++i) outputs_[i].clear();
    args_.clear();
    tensors_.clear();
    buffers_.in_use = false;
  }

  // The function arguments, by position (as many as the body takes): taken over, not copied.
  void set_arguments(GraphValues& args) { args_.swap(args); }
  // Graph feeds by "node:idx".
  void set_feed(const std::string& name, GraphValue value) { feeds_[name] = std::move(value); }

  // `name`: the tensor name `ref` was resolved from, for errors.
  GraphValue fetch(const TensorRef& ref, const std::string& name) {
    if (!fed(ref)) {
      if (ref.node < 0) throw Error(body_.where + ": '" + name + "' names no node or argument");
      evaluate(ref.node);
    }
    return value_of(ref, body_.where);
  }

 private:
  enum State : char { kUnvisited, kOnStack, kDone };

  // Taken from the inputs: a function argument, or a fed graph tensor.
  bool fed(const TensorRef& ref) const { return body_.function_body ? ref.arg >= 0 : feeds_.count(ref.key) > 0; }

  const PreparedNode& node(int index) const { return body_.nodes[static_cast<std::size_t>(index)]; }

  const GraphValue& value_of(const TensorRef& ref, const std::string& where) const {
    if (ref.arg >= 0 && body_.function_body) return args_[static_cast<std::size_t>(ref.arg)];
    if (!body_.function_body)
      if (auto it = feeds_.find(ref.key); it != feeds_.end()) return it->second;
    if (ref.node < 0) throw Error(where + ": input '" + ref.key + "' was not fed and names no node");
    return output_of(ref);
  }

  const GraphValue& output_of(const TensorRef& ref) const {
    const GraphValues& values = outputs_[static_cast<std::size_t>(ref.node)];
    if (ref.flat >= values.size())
      throw Error(node(ref.node).where + " (" + node(ref.node).def->op() + ") has " + std::to_string(values.size()) +
                  " outputs, output " + std::to_string(ref.flat) + " was asked for");
    return values[ref.flat];
  }

  // Post-order walk with an explicit stack; a node met again while on the stack is a cycle.
  void evaluate(int root) {
    stack_.assign(1, {root, false});
    while (!stack_.empty()) {
      auto [index, expanded] = stack_.back();
      stack_.pop_back();
      auto& state = state_[static_cast<std::size_t>(index)];
      if (state == kDone) continue;
      if (expanded) {
        run_node(index);
        state = kDone;
        continue;
      }
      if (state == kOnStack) throw Error(node(index).where + " depends on itself (the graph has a cycle)");
      state = kOnStack;
      stack_.emplace_back(index, true);
      for (const TensorRef& input : node(index).inputs) {
        if (input.node < 0 || fed(input)) continue;
        const char input_state = state_[static_cast<std::size_t>(input.node)];
        if (input_state == kOnStack) throw Error(node(input.node).where + " depends on itself (the graph has a cycle)");
        if (input_state == kUnvisited) stack_.emplace_back(input.node, false);
      }
    }
  }

  void run_node(int index) {
    const PreparedNode& prepared = node(index);
    try {
      GraphValues& out = outputs_[static_cast<std::size_t>(index)];
      if (prepared.kind == OpKind::Imported) run_imported(prepared, out);
      else if (prepared.kind == OpKind::PassThrough) gather_into(prepared, out);  // no intermediate vector
      else execute(prepared, gather(prepared), out);
    } catch (const Error& e) {
      const std::string what = e.what();
      if (what.find(body_.where) != std::string::npos) throw;
      throw Error(prepared.where + " (" + prepared.def->op() + "): " + what);
    }
  }

  GraphValues gather(const PreparedNode& prepared) const {
    GraphValues inputs;
    gather_into(prepared, inputs);
    return inputs;
  }
  void gather_into(const PreparedNode& prepared, GraphValues& inputs) const {
    inputs.reserve(prepared.inputs.size());
    for (const TensorRef& input : prepared.inputs) inputs.push_back(value_of(input, prepared.where));
  }

  // Writes the node's outputs into `out` (empty, with capacity kept from earlier runs).
  void execute(const PreparedNode& prepared, GraphValues inputs, GraphValues& out) const {
    const tfproto::NodeDef& node = *prepared.def;
    const std::string& where = prepared.where;
    switch (prepared.kind) {
      case OpKind::Const: out.push_back(tensor_value(prepared.constant)); return;
      case OpKind::Placeholder: throw Error(where + ": placeholder '" + node.name() + "' was not fed");
      case OpKind::PassThrough: out = std::move(inputs); return;
      case OpKind::NoOp: return;
      case OpKind::ReadVariable:
        if (inputs.size() != 1 || !inputs[0].variable) throw Error(where + ": ReadVariableOp needs a variable handle");
        out.push_back(tensor_value(inputs[0].variable->value()));
        return;
      case OpKind::Variable: {
        if (!binder_) throw Error(where + ": a variable node where no variables are bound");
        VariablePtr variable = (*binder_)(node);
        out.push_back(variable_value(variable, variable->value()));
        return;
      }
      case OpKind::Call:
        out = library_.call(callee(prepared, prepared.callee.empty() ? function_attr(node, "f", where) : prepared.callee), std::move(inputs));
        return;
      case OpKind::While: out = run_while(node, std::move(inputs), where); return;
      case OpKind::If: {
        if (inputs.empty()) throw Error(where + ": If without a condition");
        const bool branch = truthy({inputs[0]}, where);
        out = library_.call(function_attr(node, branch ? "then_branch" : "else_branch", where), GraphValues(inputs.begin() + 1, inputs.end()));
        return;
      }
      case OpKind::TensorList: out = run_tensor_list_op(node, inputs, where); return;
      case OpKind::Imported:
      case OpKind::Other: break;
    }
    if (!library_.find(node.op())) throw Error(where + ": TensorFlow op " + node.op() + " is not supported by ksave");
    out = library_.call(callee(prepared, node.op()), std::move(inputs));
  }

  // The prepared body of the one function a call node runs, looked up in the library on the
  // node's first run only.
  const PreparedBody& callee(const PreparedNode& prepared, const std::string& name) const {
    if (const PreparedBody* body = prepared.callee_body.get()) return *body;
    const auto body = library_.prepared(name);
    prepared.callee_body.set(body.get());
    return *body;
  }

  // Imported ops take tensors: gathered straight from the producers' outputs (shared storage,
  // no GraphValue copies); their results are moved into the node's reused output vector.
  void run_imported(const PreparedNode& prepared, GraphValues& out) {
    tensors_.clear();
    for (std::size_t i = 0; i < prepared.inputs.size(); ++i) {
      const GraphValue& input = value_of(prepared.inputs[i], prepared.where);
      if (!input.tensor.defined())
        throw Error(prepared.where + ": input " + std::to_string(i) + " is a resource handle or list, not a tensor");
      tensors_.push_back(input.tensor);
    }
    Tensors results = prepared.importer->run(TfOpCall{*prepared.def, tensors_, prepared.attrs, prepared.where, prepared.constants_folded});
    tensors_.clear();
    for (auto& t : results) out.push_back(tensor_value(std::move(t)));
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
  const PreparedBody& body_;
  const VariableBinder* binder_;
  std::unique_ptr<RunBuffers> spare_;
  RunBuffers& buffers_;
  GraphValues& args_;
  std::map<std::string, GraphValue> feeds_;
  std::vector<GraphValues>& outputs_;
  std::vector<char>& state_;
  std::vector<std::pair<int, bool>>& stack_;
  Tensors& tensors_;
};

namespace {

// Walks the data paths from `roots` in `body` (stopping at `feeds`), calling `visit` on every
// node once.
void walk_data_paths(const PreparedBody& body, const std::set<std::string>& feeds, std::vector<int> roots,
                     const std::function<void(int)>& visit) {
  std::vector<char> seen(body.nodes.size(), 0);
  while (!roots.empty()) {
    const int node = roots.back();
    roots.pop_back();
    if (node < 0 || seen[static_cast<std::size_t>(node)]) continue;
    seen[static_cast<std::size_t>(node)] = 1;
    visit(node);
    for (const TensorRef& input : body.nodes[static_cast<std::size_t>(node)].inputs)
      if (!feeds.count(input.key)) roots.push_back(input.node);
  }
}

// What stops a graph from running: op types ksave lacks and functions the library lacks, each
// with where it is used.
struct Findings {
  std::map<std::string, std::vector<std::string>> ops, functions;
};

// Collects the findings of one body and queues the functions it calls.
void scan_body(const FunctionLibrary& library, const PreparedBody& body, const std::set<std::string>& feeds, const std::vector<int>& roots,
               Findings& found, std::vector<std::string>& callees) {
  walk_data_paths(body, feeds, roots, [&](int index) {
    const tfproto::NodeDef& node = *body.nodes[static_cast<std::size_t>(index)].def;
    const std::string& where = body.nodes[static_cast<std::size_t>(index)].where;
    // Calls and control flow name their functions in attrs ("f", "cond", "body", branches).
    for (const auto& [name, value] : node.attr()) {
      if (!value.has_func()) continue;
      if (library.find(value.func().name())) callees.push_back(value.func().name());
      else found.functions[value.func().name()].push_back(where);
    }
    if (library.find(node.op())) {
      callees.push_back(node.op());
      return;
    }
    if (!executor_op(node.op()) && !find_tf_op_importer(node.op())) found.ops[node.op()].push_back(where);
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

std::shared_ptr<const PreparedBody> FunctionLibrary::prepared(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto& body = prepared_[name];
  if (!body) {
    const tfproto::FunctionDef* f = find(name);
    if (!f) throw Error("function '" + name + "' is not in the SavedModel's function library");
    std::vector<std::string> args;
    for (const auto& arg : f->signature().input_arg()) args.push_back(arg.name());
    auto prepared = prepare_body(f->node_def(), true, args, "function '" + name + "'");
    for (const auto& output : f->signature().output_arg()) {
      auto it = f->ret().find(output.name());
      if (it == f->ret().end()) throw Error(prepared->where + ": output '" + output.name() + "' has no value in its ret map");
      prepared->results.push_back(prepared->resolve(it->second, prepared->where));
    }
    body = std::move(prepared);
  }
  return body;
}

std::shared_ptr<const PreparedBody> FunctionLibrary::prepared(const tfproto::GraphDef& graph) const {
  std::lock_guard lock(mutex_);
  auto& body = prepared_graphs_[&graph];
  if (!body) body = prepare_body(graph.node(), false, {}, "graph");
  return body;
}

GraphValues FunctionLibrary::call(const std::string& name, GraphValues args) const { return call(*prepared(name), std::move(args)); }

GraphValues FunctionLibrary::call(const PreparedBody& body, GraphValues args) const {
  if (body.args.size() != args.size())
    throw Error(body.where + " takes " + std::to_string(body.args.size()) + " arguments, " + std::to_string(args.size()) + " were given");
  if (call_depth >= kMaxCallDepth) throw Error(body.where + ": function calls nest deeper than " + std::to_string(kMaxCallDepth));
  ++call_depth;
  struct DepthGuard {
    ~DepthGuard() { --call_depth; }
  } guard;
  GraphRun run(*this, body, nullptr);
  run.set_arguments(args);
  GraphValues results;
  results.reserve(body.results.size());
  for (const TensorRef& output : body.results) results.push_back(run.fetch(output, output.key));
  return results;
}

namespace {

// "x" → "x:0": the key a graph feed replaces.
std::string feed_key(const std::string& name) { return name.find(':') == std::string::npos ? name + ":0" : name; }

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
    const auto body = library.prepared(name);
    std::vector<int> roots;
    for (const auto& [key, ref] : f->ret()) roots.push_back(body->resolve(ref, body->where).node);
    scan_body(library, *body, {}, roots, found, queue);
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
  const auto body = library.prepared(graph);
  GraphRun run(library, *body, &bind_variable);
  for (const auto& [name, value] : feeds) run.set_feed(feed_key(name), value);
  GraphValues results;
  for (const auto& name : fetches) results.push_back(run.fetch(body->resolve(name, body->where), name));
  return results;
}

std::string unsupported_graph_ops(const tfproto::GraphDef& graph, const FunctionLibrary& library, const std::vector<std::string>& feeds,
                                  const std::vector<std::string>& fetches) {
  Findings found;
  std::vector<std::string> callees;
  const auto body = library.prepared(graph);
  std::set<std::string> fed;
  for (const auto& name : feeds) fed.insert(feed_key(name));
  std::vector<int> roots;
  for (const auto& name : fetches)
    if (!fed.count(feed_key(name))) roots.push_back(body->resolve(name, body->where).node);
  scan_body(library, *body, fed, roots, found, callees);
  scan_functions(library, callees, found);
  return describe(found);
}

}  // namespace ksave::plugins::savedmodel
