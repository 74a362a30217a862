// The TensorFlow signature of a ksave op, declared once: the op type TensorFlow knows it by, the
// names TensorFlow gives its node and output argument, its type attributes, the ksave attributes
// TensorFlow passes as constant input tensors (Reshape's shape, Transpose's perm) and those it
// keeps as node attributes. The SavedModel plugin's trace writer walks it to write an op call as
// a TensorFlow node, and its graph runtime walks it to run such a node with the ksave op again.
//
// The built-in ops are declared in op_signatures.cpp. A plugin declares its own ops' signatures
// in its register_objects (register_traceable_op below); they are then traced into SavedModels
// and run from them (tf.saved_model.load's signatures, revived layers) like the built-in ones.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ksave/attrs.hpp"
#include "ksave/op.hpp"
#include "ksave/plugin.hpp"

namespace ksave::tf {

// A ksave attribute TensorFlow takes as a constant input tensor after the data inputs: written
// as an int32 Const node, read back into the attribute when the graph runs.
struct ConstantInput {
  std::string attr;       // ksave's attribute ("perm")
  std::string node;       // the Const node's name under the op's node ("transpose/perm"): "perm"
  bool scalar = false;    // an int32 scalar (ExpandDims' dim), else an int32 vector
  std::string type_attr;  // the attribute naming its dtype ("Tperm"), set to int32; empty: none
  bool axis = false;      // an axis of the first input, written in [0, rank)
};

// A node attribute copied from the ksave attribute of the same name, by its type (int64 → i,
// double → f, bool → b, string → s, lists → list), or `fallback` when the call has none.
struct CopiedAttr {
  CopiedAttr(std::string attr_name, std::optional<AttrValue> default_value = std::nullopt, bool axis_list = false)
      : name(std::move(attr_name)), fallback(std::move(default_value)), axes(axis_list) {}
  std::string name;
  std::optional<AttrValue> fallback;
  bool axes;  // a list of axes of the first input, written in [0, rank)
};

struct OpSignature {
  std::string tf_op;                  // TensorFlow's op type ("AddV2"): the key
  std::string ksave_op;               // the ksave op a graph runs it with; empty: tf_op
  std::string output_arg = "output";  // TensorFlow's name of its output argument ("z", "product")
  std::string node_name;              // tf.function's name for its node ("add"); empty: tf_op
  bool float_inputs = false;          // data inputs converted to float32 (ksave's arithmetic converts)
  std::string type_attr = "T";        // set to the data inputs' dtype; empty: none
  std::string count_attr;             // set to the number of data inputs ("N"); empty: a fixed arity
  std::size_t data_inputs = 1;        // with a fixed arity, the data inputs before the constant ones
  std::vector<CopiedAttr> attrs;
  std::vector<ConstantInput> constant_inputs;

  const std::string& runs_as() const { return ksave_op.empty() ? tf_op : ksave_op; }
  const std::string& node_base() const { return node_name.empty() ? tf_op : node_name; }
};

// Declares a signature; throws naming the op type when another declaration has it.
void register_op_signature(OpSignature signature);
// The declaration for a TensorFlow op type, or null. Declarations are never removed, so the
// pointer stays valid.
const OpSignature* find_op_signature(const std::string& tf_op);

// A plugin's op with its TensorFlow signature, in one declaration: the op is registered, and its
// signature (whose tf_op must be the op's) declared.
inline void register_traceable_op(PluginRegistrar& registrar, OpDef op, OpSignature signature) {
  if (signature.tf_op != op.tf_op)
    throw Error("op '" + op.name + "': its TensorFlow signature is for op type '" + signature.tf_op + "', expected '" + op.tf_op + "'");
  if (signature.ksave_op.empty()) signature.ksave_op = op.name;
  register_op_signature(std::move(signature));
  registrar.op(std::move(op));
}

}  // namespace ksave::tf
