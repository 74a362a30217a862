// What a Dense or Conv2D layer does after its product — add the bias, then a ReLU — done inside
// the product itself: oneDNN adds the bias and applies the ReLU (a post-op) while the output is
// still in registers, where separate BiasAdd and Relu ops would each stream the whole output
// through memory again. Used by the internal FusedMatMul and FusedConv2D ops (fused_ops.cpp).
// Float32 arithmetic is the same as the separate ops: product, then + bias, then max(., 0).
#pragma once

#include <dnnl.hpp>

#include <cstdint>
#include <string>

#include "ksave/attrs.hpp"
#include "ksave/tensor.hpp"

namespace ksave::detail {

// relu6: min(max(x, 0), 6), Keras's ReLU(max_value=6) (MobileNet's activation).
enum class FusedActivation : std::int64_t { none = 0, relu = 1, relu6 = 4 };

struct Epilogue {
  const float* bias = nullptr;  // one value per output channel (the last axis), or no bias
  FusedActivation activation = FusedActivation::none;
  // After the activation, the output is added to what the destination holds (oneDNN's sum
  // post-op): a residual Add run inside the product, the destination being the Add's other input.
  bool sum = false;
  // After the sum (only with one): the activation layer after a residual Add, ResNet's
  // relu(conv + shortcut), another eltwise post-op instead of one more pass over the output.
  FusedActivation after_sum = FusedActivation::none;

  // Part of a primitive cache key: a bias and a post-op change the primitive.
  std::int64_t key() const {
    return (static_cast<std::int64_t>(after_sum) << 4) + (sum ? 8 : 0) + (bias ? 2 : 0) +
           static_cast<std::int64_t>(activation);
  }
  // oneDNN's post-ops for the activation, the sum and the activation after it (the bias is an
  // argument of the primitive).
  dnnl::post_ops post_ops() const;
  // The epilogue over a row-major output of `rows` x `channels`, in one pass: for products too
  // small for a primitive (they run through sgemm).
  void apply(float* out, std::int64_t rows, std::int64_t channels) const;
};

// The activation named by a fused op's "activation" attribute: "linear" (or absent), "relu" or
// "relu6".
FusedActivation fused_activation(const Attrs& attrs, const char* op);
// Appends `activation`'s eltwise post-op (none for FusedActivation::none).
void append_activation(dnnl::post_ops& ops, FusedActivation activation);
// `activation` over `count` floats in place, as its post-op computes it.
void apply_activation(float* values, std::int64_t count, FusedActivation activation);
FusedActivation fused_activation_named(const std::string& name, const char* op);

// Conv2D (conv.cpp) and MatMul (linalg.cpp) of float32 inputs, with an epilogue. With
// `epilogue.sum`, Conv2D writes into `addend` (float32, the output's shape), whose storage becomes
// the output's: the caller gives the tensor up.
Tensor conv2d_with_epilogue(const Tensor& x, const Tensor& filter, const Attrs& attrs, const Epilogue& epilogue,
                            const char* op, const Tensor& addend = {});
// A depthwise convolution run on a 1x1 Conv2D's output inside the same oneDNN primitive: its
// [kh, kw, 1, C] filter, bias, window and activation.
struct DepthwiseTail {
  const Tensor* filter = nullptr;
  const float* bias = nullptr;
  std::int64_t stride = 1, pad_top = 0, pad_left = 0, out_h = 0, out_w = 0;
  FusedActivation activation = FusedActivation::none;
};
// conv2d_with_epilogue's product, then `tail` (conv.cpp): one primitive where oneDNN fuses the pair
// with its jit_1x1 kernel and the shapes agree, else the two convolutions one after the other.
Tensor conv2d_with_depthwise(const Tensor& x, const Tensor& filter, const Attrs& attrs, const Epilogue& epilogue,
                             const DepthwiseTail& tail, const char* op);
// out (rows x n, row-major) = epilogue(a (rows x k, row-major) * kernel), `kernel` a layer's k x n
// values in row-major order (a Dense kernel, a 1x1 convolution's HWIO filter), packed at
// inference from its second call with the same values. With epilogue.sum, `out` holds the addend.
void kernel_product(const float* a, std::int64_t rows, const Tensor& kernel, std::int64_t k, std::int64_t n,
                    float* out, const Epilogue& epilogue);
// A 1x1, stride-1, ungrouped convolution whose output is added to `out` (epilogue.sum): NHWC input
// `x` as (rows x k), `filter` (1, 1, k, n), run in row chunks when that pays (residual_product.cpp).
// Returns false, doing nothing, when one product is better.
bool residual_pointwise_conv(const float* x, std::int64_t rows, const Tensor& filter, std::int64_t k, std::int64_t n,
                             float* out, const Epilogue& epilogue);
// a (rows x k, or rank > 2 over its last axis) times `kernel` (k x n), a layer's kernel: at inference
// it is packed, from its second call with the same values, into the layout the product reads
// fastest (linalg.cpp).
Tensor matmul_with_epilogue(const Tensor& a, const Tensor& kernel, const Epilogue& epilogue, const char* op);

}  // namespace ksave::detail
