#include "serialization/keras3_operation_table.hpp"

namespace ksave::keras3_operations {
namespace {

constexpr const char* kNn = "keras.src.ops.nn";
constexpr const char* kNumpy = "keras.src.ops.numpy";
constexpr const char* kMath = "keras.src.ops.math";
constexpr const char* kCore = "keras.src.ops.core";

// A parameter both sides default alike.
Parameter same(const char* keras3, const char* tf, Json fallback) { return {keras3, tf, fallback, std::nullopt}; }
// A parameter Keras 3 always writes and the function requires.
Parameter required(const char* keras3, const char* tf) { return {keras3, tf, std::nullopt, std::nullopt}; }
// A parameter the function lacks: only Keras 3's default runs.
Parameter fixed(const char* keras3, Json value) { return {keras3, "", value, std::nullopt}; }
// A keyword Keras 3 has no key for, given to the function at the value that computes what Keras 3
// computes (tf.math.argmax's output_type int32).
Parameter tf_only(const char* tf, Json value) { return {"", tf, std::nullopt, value}; }

Operation unary(const char* class_name, const char* module, const char* function) {
  return {class_name, module, function, false, {}, {}, {}};
}
Operation binary(const char* class_name, const char* function) {
  return {class_name, kNumpy, function, false, {"y"}, {}, {}};
}
// Keras 3's argmax/argmin: an index of type int32 (TensorFlow's default is int64); the axis must be
// given (Keras 3 flattens for None, TensorFlow takes axis 0); keepdims has no TensorFlow keyword.
Operation arg_reduction(const char* class_name, const char* function) {
  return {class_name, kNumpy, function, false, {}, {required("axis", "axis"), fixed("keepdims", false), tf_only("output_type", "int32")}, {}};
}
Operation reduction(const char* class_name, const char* function, bool with_initial = false) {
  Operation op{class_name, kNumpy, function, false, {}, {same("axis", "axis", nullptr), same("keepdims", "keepdims", false)}, {}};
  if (with_initial) op.config.push_back(fixed("initial", nullptr));
  return op;
}

// An operation ksave runs under a function name of its own (keras3_operations.hpp's
// kKeras3OnlyPrefix), refused in tf-keras's formats for `reason`.
Operation keras3_only(Operation op, const char* reason) {
  op.keras3_only = reason;
  return op;
}

}  // namespace

const std::vector<Operation>& operation_table() {
  static const std::vector<Operation> table = [] {
    std::vector<Operation> t = {
        // keras.ops.nn: activations.
        unary("Relu", kNn, "nn.relu"),
        unary("Relu6", kNn, "nn.relu6"),
        unary("Sigmoid", kNn, "math.sigmoid"),
        unary("Softplus", kNn, "math.softplus"),
        unary("Softsign", kNn, "nn.softsign"),
        unary("Silu", kNn, "nn.silu"),
        unary("Selu", kNn, "nn.selu"),
        {"Elu", kNn, "nn.elu", false, {}, {fixed("alpha", 1.0)}, {}},
        // Keras 3's gelu is the tanh approximation unless told otherwise; TensorFlow's the erf form.
        {"Gelu", kNn, "nn.gelu", false, {}, {{"approximate", "approximate", true, false}}, {}},
        {"LeakyRelu", kNn, "nn.leaky_relu", false, {}, {same("negative_slope", "alpha", 0.2)}, {}},
        {"Softmax", kNn, "nn.softmax", false, {}, {same("axis", "axis", -1)}, {}},
        {"LogSoftmax", kNn, "nn.log_softmax", false, {}, {same("axis", "axis", -1)}, {}},
        unary("LogSigmoid", kNn, "math.log_sigmoid"),
        // Keras 3's hard_sigmoid is relu6(x + 3) / 6 and hard_silu (hard_swish) x times it
        // (measured); TensorFlow has neither, and tf-keras's hard_sigmoid is clip(0.2 x + 0.5, 0, 1).
        keras3_only(unary("HardSigmoid", kNn, "keras3.hard_sigmoid"),
                    "no TensorFlow function computes Keras 3's hard_sigmoid, relu6(x + 3) / 6 (tf-keras's "
                    "hard_sigmoid is clip(0.2 x + 0.5, 0, 1))"),
        keras3_only(unary("HardSilu", kNn, "keras3.hard_silu"),
                    "no TensorFlow function computes Keras 3's hard_silu, x * relu6(x + 3) / 6"),
        // keras.ops.numpy and keras.ops.math: elementwise.
        unary("Exp", kNumpy, "math.exp"),
        unary("Log", kNumpy, "math.log"),
        unary("Log1p", kNumpy, "math.log1p"),
        unary("Sqrt", kNumpy, "math.sqrt"),
        unary("Square", kNumpy, "math.square"),
        unary("Absolute", kNumpy, "math.abs"),
        unary("Negative", kNumpy, "math.negative"),
        unary("Sign", kNumpy, "math.sign"),
        unary("Floor", kNumpy, "math.floor"),
        unary("Reciprocal", kNumpy, "math.reciprocal"),
        unary("Tanh", kNumpy, "math.tanh"),
        unary("Erf", kMath, "math.erf"),
        unary("Rsqrt", kMath, "math.rsqrt"),
        // Keras 3 writes `x / y` as TrueDivide and keras.ops.divide as Divide: one function,
        // recorded under its two names so that each writes back as the class it was.
        binary("Divide", "math.divide"),
        binary("TrueDivide", "math.truediv"),
        binary("Power", "math.pow"),
        binary("Greater", "math.greater"),
        binary("GreaterEqual", "math.greater_equal"),
        binary("Less", "math.less"),
        binary("LessEqual", "math.less_equal"),
        binary("Equal", "math.equal"),
        binary("NotEqual", "math.not_equal"),
        // keras.ops.add(x, y), `x + 3.0`, ... (tf-keras records `x + y` as math.add).
        binary("Add", "math.add"),
        binary("Subtract", "math.subtract"),
        binary("Multiply", "math.multiply"),
        binary("Maximum", "math.maximum"),
        binary("Minimum", "math.minimum"),
        {"Where", kNumpy, "where", false, {"x", "y"}, {}, {}},
        {"Clip", kNumpy, "clip_by_value", false, {}, {required("x_min", "clip_value_min"), required("x_max", "clip_value_max")}, {}},
        {"Matmul", kNumpy, "linalg.matmul", false, {"b"}, {}, {}},
        // keras.ops.einsum(subscripts, x[, y]): the operands are the call's arguments. tf.einsum
        // takes its tensors as *inputs, which tf-keras's TFOpLambda node does not record (tf-keras
        // 2.21 cannot reload its own tf.einsum layer: "Got 0 inputs for equation", measured).
        keras3_only({"Einsum", kNumpy, "keras3.einsum", false, {"y"}, {required("subscripts", "equation")}, {}},
                    "tf-keras records tf.einsum's tensors (its *inputs) nowhere in a TFOpLambda and cannot load "
                    "the layer back (measured with tf-keras 2.21: \"Got 0 inputs for equation\")"),
        // Reductions.
        reduction("Mean", "math.reduce_mean"),
        reduction("Sum", "math.reduce_sum"),
        reduction("Max", "math.reduce_max", true),
        reduction("Min", "math.reduce_min", true),
        reduction("Var", "math.reduce_variance"),
        reduction("Std", "math.reduce_std"),
        arg_reduction("Argmax", "math.argmax"),
        arg_reduction("Argmin", "math.argmin"),
        // Keras 3's cumsum flattens every axis (the batch's too) for axis None: refused; its dtype
        // has no TensorFlow keyword.
        {"Cumsum", kNumpy, "math.cumsum", false, {}, {required("axis", "axis"), fixed("dtype", nullptr)}, {}},
        // Shapes.
        {"Reshape", kNumpy, "reshape", false, {}, {required("newshape", "shape")}, {}},
        {"Transpose", kNumpy, "transpose", false, {}, {same("axes", "perm", nullptr)}, {}},
        {"Concatenate", kNumpy, "concat", true, {}, {same("axis", "axis", 0)}, {}},
        {"Stack", kNumpy, "stack", true, {}, {same("axis", "axis", 0)}, {}},
        {"ExpandDims", kNumpy, "expand_dims", false, {}, {required("axis", "axis")}, {}},
        {"Squeeze", kNumpy, "squeeze", false, {}, {same("axis", "axis", nullptr)}, {}},
        {"Tile", kNumpy, "tile", false, {}, {required("repeats", "multiples")}, {}},
        {"Pad", kNumpy, "pad", false, {}, {required("pad_width", "paddings"), {"mode", "mode", "constant", "constant"}},
         {same("constant_values", "constant_values", nullptr)}},
        // Keras 3 cuts at indices (numpy's array_split), tf.split takes sizes: a list is converted
        // with the input's axis length (keras3_split_sections.hpp); a number of equal parts is both.
        {"Split", kNumpy, "split", false, {}, {required("indices_or_sections", "num_or_size_splits"), same("axis", "axis", 0)}, {}},
        {"ZerosLike", kNumpy, "zeros_like", false, {}, {same("dtype", "dtype", nullptr)}, {}},
        {"OnesLike", kNumpy, "ones_like", false, {}, {same("dtype", "dtype", nullptr)}, {}},
        {"Cast", kCore, "cast", false, {}, {required("dtype", "dtype")}, {}},
        {"GetItem", kNumpy, kGetItemFunction, false, {"slice_spec"}, {}, {}},
    };
    return t;
  }();
  return table;
}

}  // namespace ksave::keras3_operations
