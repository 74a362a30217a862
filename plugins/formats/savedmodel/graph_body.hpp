// A function body or graph prepared once for many runs: node names resolved to indices, input
// names ("node:out_arg:idx", "node:idx", "arg") to node and flat output positions, constants
// decoded and op attributes converted. Running a traced layer then costs its ops, not the
// parsing of its FunctionDef on every call.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ksave/attrs.hpp"
#include "ksave/tensor.hpp"
#include "ksave_tf_graph.pb.h"

namespace ksave::plugins::savedmodel {

using Nodes = google::protobuf::RepeatedPtrField<tfproto::NodeDef>;
struct TfOpImporter;

// Where an input comes from: output `flat` of node `node`, or (node -1) the function argument
// `key` (position `arg` among the arguments). In graphs, `key` is also the "node:idx" name a
// feed may replace.
struct TensorRef {
  int node = -1;
  std::string key;
  std::size_t flat = 0;
  int arg = -1;
};

// How the executor runs a node, decided once from its op type.
enum class OpKind : char { Imported, Const, Placeholder, PassThrough, NoOp, ReadVariable, Variable, Call, While, If, TensorList, Other };
// Other: a function of the library called by its name, or an op ksave lacks.
OpKind op_kind(const std::string& op);

struct PreparedNode {
  const tfproto::NodeDef* def = nullptr;
  OpKind kind = OpKind::Other;
  std::vector<TensorRef> inputs;  // data inputs only (control inputs order side effects)
  Attrs attrs;                    // the attrs ksave ops read
  Tensor constant;                // a Const node's value
  // In function bodies, trailing Const inputs the importer takes as attributes (Reshape's shape,
  // ...) are converted into `attrs` once and dropped from `inputs` (TfOpCall::constants_folded).
  bool constants_folded = false;
  const TfOpImporter* importer = nullptr;  // for ops from tf_op_import's table
  std::string callee;             // the function a call node's "f" attr names
  std::string where;              // "function 'F' node 'N'", for errors
};

struct PreparedBody {
  bool function_body = false;
  std::string where;
  std::map<std::string, int> index;
  std::vector<std::string> args;  // function argument names, in order
  std::vector<PreparedNode> nodes;
  std::vector<TensorRef> results;  // a function's output args, resolved from its ret map

  // Resolves a tensor name as the body's inputs do (throws naming unknown nodes and bad names).
  TensorRef resolve(const std::string& name, const std::string& where) const;
};

// Throws on duplicate node names, names that point nowhere and undecodable constants.
std::shared_ptr<PreparedBody> prepare_body(const Nodes& nodes, bool function_body, const std::vector<std::string>& args,
                                                 std::string where);

}  // namespace ksave::plugins::savedmodel
