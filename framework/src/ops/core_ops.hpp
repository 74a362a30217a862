// The primitive op set of libksave, handed to the op registry at startup.
//
// Every entry is {name, tf_op, forward kernel, gradient}. Names are TensorFlow's op names;
// attributes use TensorFlow's attribute names where TensorFlow has the attribute, so a traced
// call can be written to a FunctionDef unchanged. Where TensorFlow passes a value as an input
// tensor (reduction axes, Reshape's shape, Pad's paddings, ...) ksave passes it as an attribute
// under the name below, and the graph writer turns it into a Const input.
//
//   Neg Abs Exp Log Log1p Sqrt Rsqrt Square Sign Floor Tanh Sigmoid Relu Elu Selu Softplus
//   Softsign Erf                      (x) -> y; no attributes
//   LeakyRelu                         (x); alpha: double
//   ClipByValue                       (x); clip_value_min, clip_value_max: double
//   AddV2 Sub Mul RealDiv Maximum Minimum Pow SquaredDifference
//                                     (a, b) -> broadcast result; no attributes
//   Greater Equal                     (a, b) -> float32 0/1 (TensorFlow returns bool); no gradient
//   SelectV2                          (cond, x, y): x where cond != 0
//   MatMul                            (a, b); transpose_a, transpose_b: bool. Rank > 2 `a`
//                                     contracts its last axis with 2-D `b` (Dense on sequences;
//                                     transpose_a must then be false)
//   BatchMatMulV2                     (a, b), batch axes broadcast; adj_x, adj_y: bool
//   BiasAdd                           (x, bias[C]); data_format: "NHWC" (default, last axis) or
//                                     "NCHW" (axis 1)
//   Sum Mean Max Min                  (x); axis: int64 list (empty = all); keep_dims: bool
//   ArgMax                            (x); axis: int64 -> int64 indices; no gradient
//   Softmax LogSoftmax                (x); axis: int64 (default -1; TF only has the last axis)
//   Reshape                           (x); shape: int64 list (one -1 allowed)
//   Transpose                         (x); perm: int64 list
//   ConcatV2                          (x0, x1, ...); axis: int64
//   Pack                              (x0, x1, ...); axis: int64
//   Slice                             (x); begin, size: int64 lists (size -1 = to the end)
//   ExpandDims                        (x); axis: int64 (in [-rank-1, rank])
//   Squeeze                           (x); squeeze_dims: int64 list (empty = every size-1 axis)
//   Tile                              (x); multiples: int64 list
//   GatherV2                          (params, indices); axis: int64. Integer or float ids; an
//                                     id outside [0, dim) throws naming it and the range
//   PadV2                             (x); paddings: int64 list {before0, after0, before1, ...};
//                                     constant_values: double
//   Cast                              (x); DstT: dtype name ("float32", "int64", ...)
//   OneHot                            (indices); depth: int64 -> float32, ids outside
//                                     [0, depth) give a zero row as in TensorFlow; no gradient
//   ZerosLike OnesLike                (x) -> same dtype and shape; no gradient
//   SumToShape (internal)             (x); shape: int64 list — sums broadcast axes away
//   Conv2D                            (input NHWC, filter HWIO); strides, dilations: [1, h, w, 1];
//                                     padding: SAME/VALID/EXPLICIT; explicit_paddings: 8 ints;
//                                     data_format: NHWC only. Filter depth C / groups = groups
//   Conv2DBackpropInput               (filter, out_backprop); input_sizes: int64 list, + Conv2D's
//   Conv2DBackpropFilter              (input, out_backprop); filter_sizes: int64 list, + Conv2D's
//   DepthwiseConv2dNative             (input, filter [kh, kw, C, M]); Conv2D's attributes
//   MaxPool AvgPool                   (x); ksize, strides: [1, h, w, 1]; padding: SAME/VALID
//   MaxPoolGrad                       (orig_input, orig_output, grad); MaxPool's attributes
//   AvgPoolGrad                       (grad); orig_input_shape: int64 list, + AvgPool's
//   FusedLSTM (internal)              (x, h0, c0, kernel, recurrent_kernel, bias); return_sequences:
//                                     bool -> y, h_T, c_T, workspace, sequence: a Keras LSTM over
//                                     time (fused_lstm.cpp); never traced
//   FusedGRU FusedSimpleRNN (internal) (x, h0, kernel, recurrent_kernel, bias); return_sequences,
//                                     reset_after (GRU), activation tanh/relu (SimpleRNN) -> y, h_T:
//                                     the layer over time for inference (fused_rnn.cpp)
//   FusedMatMul FusedConv2D (internal) (x, kernel[, bias]); activation: "linear"/"relu", + Conv2D's
//                                     attrs for FusedConv2D -> the product, + bias, activation in
//                                     one primitive (fused_ops.cpp); inference only, never traced;
//                                     FusedConv2D (x, kernel, bias or undefined, addend) adds its
//                                     result into the addend's storage (a residual Add), then
//                                     sum_activation ("linear"/"relu"/"relu6")
//   UnsortedSegmentSum (internal)     (data, segment_ids); num_segments: int64 — the gradient
//                                     of GatherV2
//
// All compute is float32: integer or float64 inputs of arithmetic ops are converted with
// Tensor::as_float() and the result is float32. Shape and indexing ops keep the input dtype.
#pragma once

#include <vector>

#include "ksave/op.hpp"

namespace ksave::detail {

std::vector<OpDef> core_op_defs();

}  // namespace ksave::detail
