// The core op set, as functions. Each function builds the op's attributes and calls `run_op`
// with the registered OpDef (looked up once and cached), so every call is observable by the
// autodiff tape and the graph tracer. Layers are written with these functions only.
//
// Conventions: float32 compute; binary ops broadcast as NumPy does; negative axes count from the
// end. Op names are TensorFlow's where TensorFlow has the op (AddV2, MatMul, BiasAdd, ...).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <optional>
#include <vector>

#include "ksave/op.hpp"

namespace ksave::ops {

// ---- elementwise, one input ----
Tensor neg(const Tensor& x);           // Neg
Tensor abs(const Tensor& x);           // Abs
Tensor exp(const Tensor& x);           // Exp
Tensor log(const Tensor& x);           // Log
Tensor log1p(const Tensor& x);         // Log1p
Tensor sqrt(const Tensor& x);          // Sqrt
Tensor rsqrt(const Tensor& x);         // Rsqrt
Tensor square(const Tensor& x);        // Square
Tensor sign(const Tensor& x);          // Sign
Tensor floor(const Tensor& x);         // Floor
Tensor tanh(const Tensor& x);          // Tanh
Tensor sigmoid(const Tensor& x);       // Sigmoid
Tensor relu(const Tensor& x);          // Relu
Tensor elu(const Tensor& x);           // Elu (alpha 1)
Tensor selu(const Tensor& x);          // Selu
Tensor softplus(const Tensor& x);      // Softplus
Tensor softsign(const Tensor& x);      // Softsign
Tensor erf(const Tensor& x);           // Erf
// LeakyRelu with slope `alpha` for x < 0.
Tensor leaky_relu(const Tensor& x, double alpha);               // LeakyRelu
// Clamps to [lo, hi].
Tensor clip(const Tensor& x, double lo, double hi);             // ClipByValue (scalar bounds)

// ---- elementwise, two inputs (broadcasting) ----
Tensor add(const Tensor& a, const Tensor& b);                   // AddV2
Tensor sub(const Tensor& a, const Tensor& b);                   // Sub
Tensor mul(const Tensor& a, const Tensor& b);                   // Mul
Tensor div(const Tensor& a, const Tensor& b);                   // RealDiv
Tensor maximum(const Tensor& a, const Tensor& b);               // Maximum
Tensor minimum(const Tensor& a, const Tensor& b);               // Minimum
Tensor pow(const Tensor& a, const Tensor& b);                   // Pow
Tensor squared_difference(const Tensor& a, const Tensor& b);    // SquaredDifference
Tensor greater(const Tensor& a, const Tensor& b);                // Greater (float 0/1 result)
Tensor equal(const Tensor& a, const Tensor& b);                  // Equal (float 0/1 result)
// x where cond != 0, else y (all three broadcast).
Tensor select(const Tensor& cond, const Tensor& x, const Tensor& y);  // SelectV2

// Scalar helpers (a float32 scalar constant on one side).
Tensor add(const Tensor& a, double b);
Tensor mul(const Tensor& a, double b);

// ---- linear algebra ----
// 2-D matrix product; for rank > 2 `a`, the last axis of `a` is contracted with `b` (as Dense
// does for sequences).
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false,
              bool transpose_b = false);                        // MatMul
// Batched product over leading axes (broadcast), rank >= 2.
Tensor batch_matmul(const Tensor& a, const Tensor& b, bool adj_x = false,
                    bool adj_y = false);                        // BatchMatMulV2
// Adds a 1-D bias along the last axis.
Tensor bias_add(const Tensor& x, const Tensor& bias);           // BiasAdd

// ---- reductions (empty axes = all) ----
Tensor sum(const Tensor& x, std::vector<std::int64_t> axes = {}, bool keepdims = false);   // Sum
Tensor mean(const Tensor& x, std::vector<std::int64_t> axes = {}, bool keepdims = false);  // Mean
Tensor max(const Tensor& x, std::vector<std::int64_t> axes = {}, bool keepdims = false);   // Max
Tensor min(const Tensor& x, std::vector<std::int64_t> axes = {}, bool keepdims = false);   // Min
// Index of the largest value along `axis` (int64 result; not differentiable).
Tensor argmax(const Tensor& x, std::int64_t axis = -1);         // ArgMax

// ---- normalisation ----
Tensor softmax(const Tensor& x, std::int64_t axis = -1);        // Softmax (any axis)
Tensor log_softmax(const Tensor& x, std::int64_t axis = -1);    // LogSoftmax

// ---- shape ----
Tensor reshape(const Tensor& x, const Shape& shape);            // Reshape (one dim may be -1)
Tensor transpose(const Tensor& x, const std::vector<std::int64_t>& perm);  // Transpose
Tensor concat(const std::vector<Tensor>& xs, std::int64_t axis);            // ConcatV2
Tensor stack(const std::vector<Tensor>& xs, std::int64_t axis = 0);         // Pack
// The slices of `x` along `axis`, each without that axis (tf.unstack).
Tensors unstack(const Tensor& x, std::int64_t axis = 0);                     // Unpack
// Slice [begin, begin+size) per axis; size -1 = to the end.
Tensor slice(const Tensor& x, const std::vector<std::int64_t>& begin,
             const std::vector<std::int64_t>& size);             // Slice
Tensor expand_dims(const Tensor& x, std::int64_t axis);          // ExpandDims
Tensor squeeze(const Tensor& x, std::vector<std::int64_t> axes = {});  // Squeeze
Tensor tile(const Tensor& x, const std::vector<std::int64_t>& multiples);  // Tile
// Rows of `params` along `axis` picked by integer `indices` (any integer dtype or float ids).
Tensor gather(const Tensor& params, const Tensor& indices, std::int64_t axis = 0);  // GatherV2
// Zero padding: pads[i] = {before, after} for axis i.
Tensor pad(const Tensor& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& pads,
           double value = 0.0);                                   // PadV2
Tensor cast(const Tensor& x, DType dtype);                        // Cast
// One-hot encoding of integer-valued `indices` into a new last axis of `depth`.
Tensor one_hot(const Tensor& indices, std::int64_t depth);        // OneHot
Tensor zeros_like(const Tensor& x);                               // ZerosLike
Tensor ones_like(const Tensor& x);                                // OnesLike
// Sums `grad` down to `shape` (undoes broadcasting; used by gradients).
Tensor reduce_to_shape(const Tensor& grad, const Shape& shape);   // (internal) SumToShape

// ---- convolution and pooling (NHWC inputs, HWIO filters; TensorFlow's window rules) ----
// Strides, dilations and padding of a 2-D window. SAME pads a total of
// max((ceil(in/s)-1)*s + (k-1)*d + 1 - in, 0), the odd unit at the bottom/right.
struct Window2D {
  std::int64_t stride_h = 1, stride_w = 1;
  std::int64_t dilation_h = 1, dilation_w = 1;  // convolutions only
  std::string padding = "VALID";                // "VALID", "SAME" or "EXPLICIT"
  std::array<std::int64_t, 4> explicit_paddings{0, 0, 0, 0};  // top, bottom, left, right
};
// TensorFlow's attributes of a convolution over `window`: strides, padding, dilations, and
// explicit_paddings when the padding is EXPLICIT (for ops called by name, as the fused ones).
Attrs conv2d_window_attrs(const Window2D& window);
// Filter [kh, kw, C / groups, out]; groups = C / filter depth.
Tensor conv2d(const Tensor& x, const Tensor& filter, const Window2D& window = {});  // Conv2D
// The gradient of conv2d with respect to its input of `input_shape` (also the transposed
// convolution of `dy`).
Tensor conv2d_backprop_input(const Shape& input_shape, const Tensor& filter, const Tensor& dy,
                             const Window2D& window);             // Conv2DBackpropInput
Tensor conv2d_backprop_filter(const Tensor& x, const Shape& filter_shape, const Tensor& dy,
                              const Window2D& window);            // Conv2DBackpropFilter
// Filter [kh, kw, C, multiplier] -> C * multiplier channels (channel c*M + m).
Tensor depthwise_conv2d(const Tensor& x, const Tensor& filter,
                        const Window2D& window = {});             // DepthwiseConv2dNative
Tensor max_pool(const Tensor& x, std::int64_t pool_h, std::int64_t pool_w,
                const Window2D& window);                          // MaxPool
// Averages over the in-bounds part of each window (SAME padding is not counted).
Tensor avg_pool(const Tensor& x, std::int64_t pool_h, std::int64_t pool_w,
                const Window2D& window);                          // AvgPool

// Constants (not op calls: they are captured as Const nodes by the tracer).
Tensor constant(double value);  // float32 scalar

}  // namespace ksave::ops
