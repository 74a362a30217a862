// A function body or graph prepared once for many runs: node names resolved to indices, input
// names ("node:out_arg:idx", "node:idx", "arg") to node and flat output positions, constants
// decoded and op attributes converted. Running a traced layer then costs its ops, not the
// parsing of its FunctionDef on every call.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ksave/attrs.hpp"
#include "ksave/tensor.hpp"
#include "ksave_tf_graph.pb.h"

namespace ksave::plugins::savedmodel {

using Nodes = google::protobuf::RepeatedPtrField<tfproto::NodeDef>;
struct TfOpImporter;

// Where an input comes from: output `flat` of node `node`, or (node -1) the function argument
// `key`. In graphs, `key` is also the "node:idx" name a feed may replace.
struct TensorRef {
  int node = -1;
  std::string key;
  std::size_t flat = 0;
};

struct PreparedNode {
  const tfproto::NodeDef* def = nullptr;
  std::vector<TensorRef> inputs;  // data inputs only (control inputs order side effects)
  Attrs attrs;                    // the attrs ksave ops read
  Tensor constant;                // a Const node's value
  const TfOpImporter* importer = nullptr;  // for ops from tf_op_import's table
  std::string where;              // "function 'F' node 'N'", for errors
};

struct PreparedBody {
  bool function_body = false;
  std::string where;
  std::map<std::string, int> index;
  std::set<std::string> args;
  std::vector<PreparedNode> nodes;

  // Resolves a tensor name as the body's inputs do (throws naming unknown nodes and bad names).
  TensorRef resolve(const std::string& name, const std::string& where) const;
};

// Throws on duplicate node names, names that point nowhere and undecodable constants.
std::shared_ptr<const PreparedBody> prepare_body(const Nodes& nodes, bool function_body, const std::vector<std::string>& args,
                                                 std::string where);

}  // namespace ksave::plugins::savedmodel
