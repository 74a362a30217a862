// The function library of a SavedModel's graph_def as tf.function writes it: a traced call as a
// FunctionDef (inputs, captured variables as resource inputs, Identity outputs after a NoOp that
// orders the variable reads), the thin wrappers TensorFlow puts around them (a call through
// StatefulPartitionedCall), and the SavedConcreteFunction entries of the object graph.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ksave_tf_saved_model.pb.h"
#include "trace_graph.hpp"

namespace ksave::plugins::savedmodel {

// A FunctionDef of the library with what the object graph says about it.
struct TracedConcreteFunction {
  std::string name;
  std::vector<VariablePtr> captures;        // bound_inputs, in the function's resource-input order
  tfproto::StructuredValue input_signature;  // (args tuple, kwargs dict)
  tfproto::StructuredValue output_signature;
};

class TraceLibrary {
 public:
  // "__inference_<base>_<n>", n increasing across the library as TensorFlow's uids do.
  std::string unique_name(const std::string& base);
  // The traced call as a FunctionDef named `name`.
  void add_traced(const std::string& name, const TracedFunction& traced);
  // A function of the same inputs and outputs as `callee` that calls it (tf.function's wrappers
  // around an inner trace: layer_call_fn, signature_wrapper). With `keyword_order`, its data
  // arguments are declared in sorted name order (a signature's: TensorFlow flattens the keyword
  // arguments of a signature call in sorted key order and feeds them by position).
  void add_wrapper(const std::string& name, const std::string& callee, const std::vector<std::string>& arg_names,
                   bool keyword_order = false);
  // An empty FunctionDef named `name`, for functions written node by node (the saver's).
  tfproto::FunctionDef& add_function(const std::string& name);
  void add_concrete(TracedConcreteFunction function) { concrete_.emplace(function.name, std::move(function)); }

  const tfproto::FunctionDefLibrary& library() const { return library_; }
  const std::map<std::string, TracedConcreteFunction>& concrete() const { return concrete_; }
  const tfproto::FunctionDef& function(const std::string& name) const;

 private:
  tfproto::FunctionDefLibrary library_;
  std::map<std::string, TracedConcreteFunction> concrete_;
  int next_uid_ = 1;
};

// StructuredValue builders for signatures.
tfproto::StructuredValue tensor_spec(const std::string& name, const Shape& shape, DType dtype);
tfproto::StructuredValue tuple_of(std::vector<tfproto::StructuredValue> values);
tfproto::StructuredValue list_of(std::vector<tfproto::StructuredValue> values);
tfproto::StructuredValue dict_of(std::map<std::string, tfproto::StructuredValue> fields);
tfproto::StructuredValue bool_value(bool value);
tfproto::StructuredValue none_value();

// A node calling function `callee` with `inputs` (StatefulPartitionedCall when it has resource
// inputs, PartitionedCall otherwise), with TensorFlow's call attributes.
tfproto::NodeDef& add_call_node(google::protobuf::RepeatedPtrField<tfproto::NodeDef>& nodes, const std::string& name,
                                const tfproto::FunctionDef& callee, const std::vector<std::string>& inputs,
                                const std::vector<Shape>& output_shapes);

}  // namespace ksave::plugins::savedmodel
