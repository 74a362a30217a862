// Runs TensorFlow graphs with ksave ops: a FunctionDef of the SavedModel's function library, or
// the nodes of a TF1 GraphDef, with function calls, While/If and TensorLists. Nodes are evaluated on demand from the requested outputs (data
// inputs only: control inputs order side effects, which inference does not need), each once,
// with an explicit stack (no recursion a hostile graph could overflow), cycles and dangling
// names reported. Ops come from tf_op_import's table; variables, feeds and calls are handled here.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "ksave/variable.hpp"
#include "ksave_tf_graph.pb.h"

namespace ksave::plugins::savedmodel {

// A value flowing along an edge: a tensor, a resource handle (a variable — then `tensor` holds
// the variable's value for the reference-typed VariableV2 of TF1 graphs), or a TensorList.
struct GraphValue {
  Tensor tensor;
  VariablePtr variable;
  std::shared_ptr<const std::vector<Tensor>> list;
};
using GraphValues = std::vector<GraphValue>;

inline GraphValue tensor_value(Tensor tensor) { return {std::move(tensor), nullptr, nullptr}; }
inline GraphValue variable_value(VariablePtr variable, Tensor tensor = {}) { return {std::move(tensor), std::move(variable), nullptr}; }

// Supplies the variable a VarHandleOp / VariableV2 node stands for (TF1 graphs; TF2 functions
// receive theirs as captured inputs).
using VariableBinder = std::function<VariablePtr(const tfproto::NodeDef& node)>;

struct PreparedBody;

class FunctionLibrary {
 public:
  // `owner` keeps the message that holds `library` alive.
  FunctionLibrary(std::shared_ptr<const void> owner, const tfproto::FunctionDefLibrary& library);

  const tfproto::FunctionDef* find(const std::string& name) const;
  // Runs function `name` on one value per input arg; returns one value per output arg.
  GraphValues call(const std::string& name, GraphValues args) const;
  // The same for a body this library prepared (no lock or name lookup).
  GraphValues call(const PreparedBody& body, GraphValues args) const;
  // Every op type that ksave cannot run on the data paths of these functions (and the functions
  // they call), with where it occurs; empty when everything can run.
  std::string unsupported_ops(const std::vector<std::string>& functions) const;

  // A function's body or a graph, prepared on first use and kept (see graph_body.hpp).
  std::shared_ptr<const PreparedBody> prepared(const std::string& function) const;
  std::shared_ptr<const PreparedBody> prepared(const tfproto::GraphDef& graph) const;

 private:
  std::shared_ptr<const void> owner_;
  std::map<std::string, const tfproto::FunctionDef*> functions_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::shared_ptr<const PreparedBody>> prepared_;
  mutable std::map<const tfproto::GraphDef*, std::shared_ptr<const PreparedBody>> prepared_graphs_;
};

// The TF1 way: feeds by tensor name ("x:0"), fetches by tensor name.
GraphValues run_graph(const tfproto::GraphDef& graph, const FunctionLibrary& library,
                      const std::map<std::string, GraphValue>& feeds, const std::vector<std::string>& fetches,
                      const VariableBinder& bind_variable);

// Unsupported op types on the data paths from `feeds` to `fetches` in a TF1 graph (see
// unsupported_ops).
std::string unsupported_graph_ops(const tfproto::GraphDef& graph, const FunctionLibrary& library,
                                  const std::vector<std::string>& feeds, const std::vector<std::string>& fetches);

}  // namespace ksave::plugins::savedmodel
