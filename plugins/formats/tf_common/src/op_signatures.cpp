// The TensorFlow signatures of ksave's built-in ops (see ksave/tf/op_signature.hpp), and the
// table that plugins add theirs to.
//
// Most ops are written and read by walking their declaration alone. Some need code of their own
// on one side, which stays with the trace writer (exporter/trace_ops.cpp) or the graph importer
// (graph_runtime/tf_op_import.cpp): their declaration still names their node and output.
#include "ksave/tf/op_signature.hpp"

#include <map>
#include <mutex>

#include "ksave/error.hpp"

namespace ksave::tf {
namespace {

using Ints = std::vector<std::int64_t>;

OpSignature named(std::string tf_op, std::string output_arg, std::string node_name = {}) {
  OpSignature s;
  s.tf_op = std::move(tf_op);
  s.output_arg = std::move(output_arg);
  s.node_name = std::move(node_name);
  return s;
}

// Elementwise ops, activations and BiasAdd: float32 inputs, T float32.
OpSignature float_op(std::string tf_op, std::string output_arg, std::string node_name = {}) {
  OpSignature s = named(std::move(tf_op), std::move(output_arg), std::move(node_name));
  s.float_inputs = true;
  return s;
}

ConstantInput int_vector(std::string attr, std::string node, std::string type_attr) {
  return {std::move(attr), std::move(node), false, std::move(type_attr), false};
}
ConstantInput int_scalar(std::string attr, std::string node, std::string type_attr, bool axis = false) {
  return {std::move(attr), std::move(node), true, std::move(type_attr), axis};
}

// Ops that take any number of data inputs, counted in attribute N. (The count is moved in from a
// std::string: assigning the literal makes GCC 12 warn -Wrestrict on its own inlined code.)
OpSignature variadic(std::string tf_op, std::string output_arg, std::string node_name) {
  OpSignature s = named(std::move(tf_op), std::move(output_arg), std::move(node_name));
  s.count_attr = std::string("N");
  return s;
}

// Ops that take one data input then constant ones.
OpSignature with_constants(std::string tf_op, std::string output_arg, std::vector<ConstantInput> constants) {
  OpSignature s = named(std::move(tf_op), std::move(output_arg));
  s.constant_inputs = std::move(constants);
  return s;
}

std::vector<OpSignature> builtin_signatures() {
  std::vector<OpSignature> all;
  for (const char* op : {"Neg", "Abs", "Exp", "Log", "Log1p", "Sqrt", "Rsqrt", "Square", "Sign", "Floor", "Ceil", "Tanh", "Sigmoid", "Erf"})
    all.push_back(float_op(op, "y"));
  for (const char* op : {"Relu", "Elu", "Selu", "Softplus", "Softsign"}) all.push_back(float_op(op, "activations"));
  all.push_back(float_op("LeakyRelu", "activations"));
  all.back().attrs = {{"alpha"}};
  for (const auto& [op, node] : std::vector<std::pair<const char*, const char*>>{
           {"AddV2", "add"}, {"Sub", "sub"}, {"Mul", "mul"}, {"RealDiv", "truediv"}, {"Maximum", ""}, {"Minimum", ""}, {"Pow", ""},
           {"SquaredDifference", ""}})
    all.push_back(float_op(op, "z", node));
  all.push_back(float_op("BiasAdd", "output"));
  all.back().attrs = {{"data_format", AttrValue(std::string("NHWC"))}};

  all.push_back(with_constants("Transpose", "y", {int_vector("perm", "perm", "Tperm")}));
  all.push_back(with_constants("Tile", "output", {int_vector("multiples", "multiples", "Tmultiples")}));
  all.push_back(with_constants("ExpandDims", "output", {int_scalar("axis", "dim", "Tdim")}));
  all.push_back(variadic("ConcatV2", "output", "concat"));
  all.back().constant_inputs = {int_scalar("axis", "axis", "Tidx", true)};
  all.push_back(variadic("Pack", "output", "stack"));
  all.back().attrs = {{"axis", AttrValue(std::int64_t{0})}};
  all.push_back(named("Squeeze", "output"));
  all.back().attrs = {{"squeeze_dims", AttrValue(Ints{}), true}};
  for (const char* op : {"ZerosLike", "OnesLike"}) all.push_back(named(op, "y"));

  // Written by code of their own (trace_ops.cpp); read back from their declaration.
  all.push_back(named("Cast", "y"));
  all.push_back(named("MatMul", "product"));
  all.push_back(named("BatchMatMulV2", "output"));
  all.push_back(named("SelectV2", "output"));
  all.push_back(named("Softmax", "softmax"));
  all.push_back(named("LogSoftmax", "logsoftmax"));
  for (const char* op : {"Conv2D", "DepthwiseConv2dNative", "MaxPool", "AvgPool"}) all.push_back(named(op, "output"));
  all.push_back(with_constants("Reshape", "output", {int_vector("shape", "shape", "Tshape")}));
  all.push_back(with_constants("Slice", "output", {int_vector("begin", "begin", "Index"), int_vector("size", "size", "Index")}));
  all.push_back(with_constants("ArgMax", "output", {int_scalar("axis", "dimension", "Tidx", true)}));
  // Written by code of their own and read by code of their own (tf_op_import.cpp).
  for (const char* op : {"Greater", "Equal"}) all.push_back(named(op, "z"));
  return all;
}

struct SignatureTable {
  std::mutex mutex;
  std::map<std::string, OpSignature> by_tf_op;

  SignatureTable() {
    for (auto& signature : builtin_signatures()) by_tf_op.emplace(signature.tf_op, std::move(signature));
  }
};

SignatureTable& table() {
  static SignatureTable instance;
  return instance;
}

}  // namespace

void register_op_signature(OpSignature signature) {
  if (signature.tf_op.empty()) throw Error("a TensorFlow op signature needs an op type");
  // The graph importer reads constant inputs after a fixed number of data inputs.
  if (!signature.count_attr.empty() && !signature.constant_inputs.empty())
    throw Error("TensorFlow op '" + signature.tf_op + "': constant inputs after a variable number of data inputs (count_attr) are not supported");
  SignatureTable& t = table();
  std::lock_guard lock(t.mutex);
  const std::string key = signature.tf_op;
  if (!t.by_tf_op.emplace(key, std::move(signature)).second)
    throw Error("TensorFlow op '" + key + "' already has a signature (an op type is declared once)");
}

const OpSignature* find_op_signature(const std::string& tf_op) {
  SignatureTable& t = table();
  std::lock_guard lock(t.mutex);
  auto it = t.by_tf_op.find(tf_op);
  return it == t.by_tf_op.end() ? nullptr : &it->second;
}

}  // namespace ksave::tf
