// Keras 3's operation nodes in functional configs and the TensorFlow functions tf-keras records in
// their place. Keras 3 writes a `keras.ops` function applied to a KerasTensor as an entry of its
// own ({"module": "keras.src.ops.nn", "class_name": "Relu6", "config": {"name": "relu6"},
// "inbound_nodes": [{"args": [<tensor>], "kwargs": {}}]}), the op's parameters in its config and
// its tensors (and Python constants) as the call's positional arguments; tf-keras wrote a
// TFOpLambda naming the TensorFlow function ("nn.relu6") with the arguments as the call's kwargs.
//
// ksave runs an operation as the TFOpLambda (SlicingOpLambda for GetItem) of its TensorFlow
// function: the Keras 3 readers turn each operation entry into one, and the Keras 3 writer turns
// a TFOpLambda whose function has a Keras 3 operation back into Keras 3's entry, so the same
// model saves as either generation's form. Only classes of this table load; an unknown one is
// refused by name, and nothing from a file runs as code.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "ksave/json.hpp"

namespace ksave::keras3_operations {

// True for a functional layer entry that is a Keras 3 operation: its module is Keras 3's ops
// package. Every one runs as a TFOpLambda, Add or Multiply of two tensors too (which ksave's
// merge layers could run), so that the model writes back as Keras 3 wrote it.
bool is_tf_op_operation(const Json& entry);

// The TFOpLambda / SlicingOpLambda entry (tf-keras's form: config with "function", list-form
// inbound_nodes) that runs a Keras 3 operation entry. Throws naming the class, its module and the
// layer when ksave has no equivalent, or a parameter has a value the TensorFlow function lacks.
Json tf_op_entry(const Json& operation_entry);

// True when `class_name` ("TFOpLambda", "SlicingOpLambda") names a layer that runs a recorded
// TensorFlow function.
bool is_tf_op_layer(const std::string& class_name);

// Keras 3's operation entry for a TFOpLambda / SlicingOpLambda entry in tf-keras's form (as ksave
// writes a functional config): module, class_name, config, registered_name, then the entry's own
// keys with each inbound node as {"args", "kwargs"}. A tensor of a call is written as
// `tensor_of(reference, node, input)`: its [layer, node, tensor] reference, the call's index and
// the tensor's index among the call's inputs (first argument first, then the keyword arguments,
// the order in which the loader flattened them). Throws naming the layer for a function or an
// argument that no Keras 3 operation of the table takes (Keras 3 cannot load a TFOpLambda).
using TensorOf = std::function<Json(const Json& reference, std::size_t node, std::size_t input)>;
Json operation_entry(const Json& tf_op_entry, const TensorOf& tensor_of);

// The functions of the Keras 3 operations that no TensorFlow function computes (HardSigmoid,
// HardSilu) or none that tf-keras can load back (Einsum) start with this: TFOpLambda runs them
// under ksave's own names, which only Keras 3's form (.keras, Keras 3's JSON) writes back.
inline constexpr const char* kKeras3OnlyPrefix = "keras3.";

// Why tf-keras's formats (HDF5, SavedModel) cannot hold a TFOpLambda of `function`: its Keras 3
// operation, and the reason; empty for a TensorFlow function.
std::string tf_keras_refusal(const std::string& function);

// The Keras 3 classes ksave runs, "module.ClassName", sorted (for errors and reports).
std::vector<std::string> supported_operations();

}  // namespace ksave::keras3_operations
