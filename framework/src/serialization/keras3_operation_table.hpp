// The Keras 3 operations ksave runs (ksave/keras3_operations.hpp), each with the TensorFlow
// function TFOpLambda runs for it and how the operation's parameters and arguments become the
// function's keywords. Measured with Keras 3.15: what config.json records for each keras.ops call.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ksave/json.hpp"

namespace ksave::keras3_operations {

// One parameter of an operation: a key of its config (or of its call's kwargs) and the keyword of
// the TensorFlow function that takes it.
struct Parameter {
  std::string keras3;               // empty: a keyword the function always gets at tf_default
                                    // (Argmax's output_type int32, the dtype Keras 3 gives)
  std::string tf;                   // empty: the function has no such keyword, so only the default runs
  std::optional<Json> keras3_default;  // nullopt: Keras 3 always writes it, not null (required)
  std::optional<Json> tf_default;   // what the function does without its keyword, when not keras3_default
  // The value Keras 3's config holds when the function's keyword is absent.
  Json keras3_value_for_absent_keyword() const { return tf_default ? *tf_default : keras3_default.value_or(nullptr); }
};

struct Operation {
  std::string class_name;  // "Relu6"
  std::string module;      // "keras.src.ops.nn"
  std::string function;    // "nn.relu6", as TFOpLambda's config names it
  bool list_first = false;               // the first argument is a list of tensors (concatenate, stack)
  std::vector<std::string> positional;   // the call's arguments after the first: the function's keywords
  std::vector<Parameter> config;         // the operation's config keys, in Keras 3's order
  std::vector<Parameter> call_kwargs;    // keyword arguments Keras 3 records on the call
  // Why tf-keras's formats cannot hold it, for an operation that no TensorFlow function computes
  // (or none tf-keras can reload): `function` is then a name of ksave's own, no TensorFlow
  // function's. Empty for the others.
  std::string keras3_only = {};
};

// Every operation, those Keras 3 writes for a function first (the writer takes the first whose
// function matches).
const std::vector<Operation>& operation_table();

// The function `x[...]` is recorded as (SlicingOpLambda's).
inline constexpr const char* kGetItemFunction = "__operators__.getitem";

}  // namespace ksave::keras3_operations
