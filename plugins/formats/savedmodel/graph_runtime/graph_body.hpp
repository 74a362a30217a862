// A function body or graph prepared once for many runs: node names resolved to indices, input
// names ("node:out_arg:idx", "node:idx", "arg") to node and flat output positions, constants
// decoded and op attributes converted. Running a traced layer then costs its ops, not the
// parsing of its FunctionDef on every call.
#pragma once

#include <atomic>
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
struct PreparedBody;

// The prepared body a call node's function resolves to, filled on the node's first run (bodies
// are prepared on demand and a function may call itself, so not when the caller is prepared).
// Later runs skip the library's lock and name lookup; several threads may fill it at once, all
// with the same pointer, which the library keeps alive as long as itself.
class CalleeSlot {
 public:
  CalleeSlot() = default;
  CalleeSlot(const CalleeSlot& other) : body_(other.get()) {}
  CalleeSlot& operator=(const CalleeSlot& other) {
    body_.store(other.get(), std::memory_order_release);
    return *this;
  }
  const PreparedBody* get() const { return body_.load(std::memory_order_acquire); }
  void set(const PreparedBody* body) const { body_.store(body, std::memory_order_release); }

 private:
  mutable std::atomic<const PreparedBody*> body_{nullptr};
};

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
  CalleeSlot callee_body;         // its prepared body, once resolved (or the op's, for function-named ops)
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
