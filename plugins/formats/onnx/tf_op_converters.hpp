// ONNX forms of the TensorFlow functions ksave's TFOpLambda / SlicingOpLambda run, by the name
// tf.keras records ("math.multiply", "reshape"), one table part per file. Each function is listed
// once, by its canonical name: the other names recorded for it ("compat.v1.transpose",
// "__operators__.add") are ksave/tf_function_names.hpp's aliases, looked up through it.
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "tf_op_call.hpp"

namespace ksave::plugins::onnx_export {

using TfOpConverter = std::function<std::vector<Value>(TfOpCall&)>;
using TfOpEntry = std::pair<const char*, TfOpConverter>;

std::vector<TfOpEntry> elementwise_tf_ops();  // converters_tf_elementwise.cpp
std::vector<TfOpEntry> reduction_tf_ops();    // converters_tf_elementwise.cpp
std::vector<TfOpEntry> shape_tf_ops();        // converters_tf_shape.cpp
std::vector<Value> getitem_tf_op(TfOpCall& a);  // converters_tf_getitem.cpp

// The layout several values can be combined in without moving them: that of the values that are
// not single numbers, when they share rank and layout (a conv stack's channels-first survives
// `x + 3`), else Keras's own.
Perm shared_layout(const std::vector<Value>& values);
// `v` as float32 in `layout` (a single number is used as it is: it broadcasts in any layout).
std::string float_in_shared_layout(Emitter& onnx, const Value& v, const Perm& layout);

}  // namespace ksave::plugins::onnx_export
