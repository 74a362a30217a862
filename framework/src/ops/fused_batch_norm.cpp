// FusedBatchNormTraining (internal): a channels-last BatchNormalization in training, normalizing
// by the batch's statistics, in one op with a gradient of its own, as TensorFlow's
// FusedBatchNormV3 and its grad run it. As separate ops (mean, squared difference, mean, sub,
// mul, add, and the gradient of each) a MobileNetV2 training step went over every activation
// about twenty times; here the forward pass reads it three times and the gradient twice.
//
//   inputs:  x (..., C) float32, scale (C) (gamma; ones when the layer has none),
//            offset (C) (beta; zeros when none)
//   attrs:   epsilon: double
//   outputs: y = (x - mean) * (rsqrt(variance + epsilon) * scale) + offset, and the batch's mean
//            and (biased) variance over every axis but the last, each (C)
//
// FusedBatchNormReluTraining (internal): the same followed by a ReLU, min(max(y, 0), max_value),
// in the same pass (attrs: epsilon, max_value: double, infinity for a plain ReLU), as
// MobileNetV2's BatchNormalization and ReLU(6) pairs run in training (Functional finds the
// pairs: inference_chains.hpp). y itself is never written: the gradient takes the activation's
// mask from the saved output, 0 < out < max_value, as TensorFlow's Relu6Grad and ReluGrad do,
// inside its own two passes. Apart, the activation read and wrote every activation once more
// each way (twice for ReLU(6): Relu, then ClipByValue).
//
// The statistics are summed in double, row after row (the same order on any thread count, so a
// resumed training run repeats an uninterrupted one bit for bit). Layers use the ops only when no
// graph tracer watches (fused_ops_allowed()); traced functions keep TensorFlow's primitive ops.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernel_util.hpp"
#include "op_groups.hpp"
#include "parallel.hpp"

namespace ksave::detail {

namespace {

using Index = std::int64_t;
constexpr const char* kOp = "FusedBatchNormTraining";
constexpr const char* kReluOp = "FusedBatchNormReluTraining";

struct Geometry {
  Index rows, channels;
};

Geometry geometry(std::span<const Tensor> in, const char* op) {
  expect_inputs(op, in, 3);
  const Tensor& x = in[0];
  if (x.dtype() != DType::Float32 || x.rank() < 2)
    throw Error(std::string(op) + ": expected a float32 x of rank >= 2, got " + shape_str(x));
  const Index channels = x.dim(x.rank() - 1);
  for (std::size_t i = 1; i < 3; ++i)
    if (in[i].dtype() != DType::Float32 || in[i].shape() != Shape{channels})
      throw Error(std::string(op) + ": expected a float32 " + (i == 1 ? "scale" : "offset") + " of shape (" +
                  std::to_string(channels) + "), got " + shape_str(in[i]));
  return {channels == 0 ? 0 : x.size() / channels, channels};
}

// The ReLU's upper bound (infinity: none), checked.
float relu_max_value(const Attrs& attrs) {
  const double hi = attr<double>(attrs, "max_value", kReluOp);
  if (!(hi >= 0.0)) throw Error(std::string(kReluOp) + ": max_value must be >= 0, got " + std::to_string(hi));
  return static_cast<float>(hi);
}

// Per-channel sums of f(row, c) over the rows, in double.
template <typename F>
std::vector<double> channel_sums(const Geometry& g, F&& f) {
  std::vector<double> sums(static_cast<std::size_t>(g.channels), 0.0);
  for (Index r = 0; r < g.rows; ++r)
    for (Index c = 0; c < g.channels; ++c) sums[static_cast<std::size_t>(c)] += f(r, c);
  return sums;
}

// rsqrt(variance + epsilon) in float32, as the unfused layer computes it.
std::vector<float> inverse_deviations(const float* variance, Index channels, double epsilon) {
  std::vector<float> inv(static_cast<std::size_t>(channels));
  for (Index c = 0; c < channels; ++c)
    inv[static_cast<std::size_t>(c)] = 1.0f / std::sqrt(variance[c] + static_cast<float>(epsilon));
  return inv;
}

// The normalization with `activation` applied to each output value (float -> float) in the
// same pass: y, mean, variance.
template <typename Activation>
Tensors normalize(std::span<const Tensor> in, const Geometry& g, double epsilon, Activation&& activation) {
  const float* x = in[0].data<float>();
  const float* scale = in[1].data<float>();
  const float* offset = in[2].data<float>();
  Tensor mean = make_float_output({g.channels}), variance = make_float_output({g.channels});
  float* m = mean.data<float>();
  float* v = variance.data<float>();
  const double count = static_cast<double>(std::max<Index>(g.rows, 1));
  const std::vector<double> sums = channel_sums(g, [&](Index r, Index c) { return double{x[r * g.channels + c]}; });
  for (Index c = 0; c < g.channels; ++c) m[c] = static_cast<float>(sums[static_cast<std::size_t>(c)] / count);
  const std::vector<double> squares = channel_sums(g, [&](Index r, Index c) {
    const double d = double{x[r * g.channels + c]} - m[c];
    return d * d;
  });
  for (Index c = 0; c < g.channels; ++c) v[c] = static_cast<float>(squares[static_cast<std::size_t>(c)] / count);
  std::vector<float> factor = inverse_deviations(v, g.channels, epsilon);
  for (Index c = 0; c < g.channels; ++c) factor[static_cast<std::size_t>(c)] *= scale[c];
  Tensor y = make_float_output(in[0].shape());
  float* out = y.data<float>();
  parallel_chunks(g.rows, 3.0 * static_cast<double>(g.rows * g.channels), [&](Index begin, Index end) {
    for (Index r = begin; r < end; ++r)
      for (Index c = 0; c < g.channels; ++c) {
        const Index i = r * g.channels + c;
        out[i] = activation((x[i] - m[c]) * factor[static_cast<std::size_t>(c)] + offset[c]);
      }
  });
  Tensors outputs;
  outputs.reserve(3);
  outputs.push_back(std::move(y));
  outputs.push_back(std::move(mean));
  outputs.push_back(std::move(variance));
  return outputs;
}

Tensors fused_batch_norm_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  return normalize(in, geometry(in, kOp), attr<double>(attrs, "epsilon", kOp), [](float y) { return y; });
}

// min(max(y, 0), max_value): the values of Relu then ClipByValue(0, max_value).
Tensors fused_batch_norm_relu_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  const float hi = relu_max_value(attrs);
  return normalize(in, geometry(in, kReluOp), attr<double>(attrs, "epsilon", kReluOp),
                   [hi](float y) { return std::min(std::max(y, 0.0f), hi); });
}

// With xhat = (x - mean) * inv (inv = rsqrt(variance + epsilon)) and n rows:
//   d offset = sum(dy), d scale = sum(dy * xhat),
//   dx = scale * inv / n * (n * dy - d offset - xhat * d scale)
// plus what reaches the mean and variance outputs directly: d mean / n and
// d variance * 2 (x - mean) / n.
// `dy(i)` is the gradient reaching the normalized value i (null: none reaches it); it is
// computed where it is read, twice, rather than written out.
template <typename Dy>
Tensors normalization_gradient(const GradientContext& ctx, const char* op, bool has_dy, Dy&& dy) {
  const Geometry g = geometry(ctx.inputs, op);
  const double epsilon = attr<double>(ctx.attrs, "epsilon", op);
  const float* x = ctx.inputs[0].data<float>();
  const float* scale = ctx.inputs[1].data<float>();
  const float* m = ctx.outputs[1].data<float>();
  const std::vector<float> inv = inverse_deviations(ctx.outputs[2].data<float>(), g.channels, epsilon);
  const Tensor& dmean_tensor = ctx.output_grads[1];
  const Tensor& dvar_tensor = ctx.output_grads[2];
  Tensors grads;
  grads.resize(3);
  const double count = static_cast<double>(std::max<Index>(g.rows, 1));
  std::vector<double> sum_dy(static_cast<std::size_t>(g.channels), 0.0), sum_dy_xhat(sum_dy);
  if (has_dy)  // both sums in one pass over dy and x, row after row as channel_sums adds
    for (Index r = 0; r < g.rows; ++r)
      for (Index c = 0; c < g.channels; ++c) {
        const Index i = r * g.channels + c;
        const auto j = static_cast<std::size_t>(c);
        const float d = dy(i);
        sum_dy[j] += double{d};
        sum_dy_xhat[j] += double{d * ((x[i] - m[c]) * inv[j])};
      }
  if (ctx.wants(0)) {
    // Per channel, dx = a * dy + k * (x - mean) + b: the formula above with the mean and
    // variance outputs' own gradients folded into k and b, one multiply-add pass.
    const float* dmean = dmean_tensor.defined() ? dmean_tensor.data<float>() : nullptr;
    const float* dvar = dvar_tensor.defined() ? dvar_tensor.data<float>() : nullptr;
    std::vector<float> a(static_cast<std::size_t>(g.channels)), k(a.size()), b(a.size());
    for (Index c = 0; c < g.channels; ++c) {
      const auto j = static_cast<std::size_t>(c);
      const double factor = double{scale[c]} * inv[j];
      a[j] = has_dy ? static_cast<float>(factor) : 0.0f;
      k[j] = static_cast<float>((has_dy ? -factor * sum_dy_xhat[j] / count * inv[j] : 0.0) + (dvar ? 2.0 * dvar[c] / count : 0.0));
      b[j] = static_cast<float>((has_dy ? -factor * sum_dy[j] / count : 0.0) + (dmean ? dmean[c] / count : 0.0));
    }
    Tensor dx = make_float_output(ctx.inputs[0].shape());
    float* out = dx.data<float>();
    parallel_chunks(g.rows, 4.0 * static_cast<double>(g.rows * g.channels), [&](Index begin, Index end) {
      for (Index r = begin; r < end; ++r) {
        const Index row = r * g.channels;
        const float* xr = x + row;
        float* outr = out + row;
        if (has_dy)
          for (Index c = 0; c < g.channels; ++c)
            outr[c] = a[static_cast<std::size_t>(c)] * dy(row + c) + k[static_cast<std::size_t>(c)] * (xr[c] - m[c]) + b[static_cast<std::size_t>(c)];
        else
          for (Index c = 0; c < g.channels; ++c) outr[c] = k[static_cast<std::size_t>(c)] * (xr[c] - m[c]) + b[static_cast<std::size_t>(c)];
      }
    });
    grads[0] = std::move(dx);
  }
  for (std::size_t input = 1; input < 3; ++input) {
    if (!ctx.wants(input)) continue;
    const std::vector<double>& sums = input == 1 ? sum_dy_xhat : sum_dy;
    Tensor grad = make_float_output({g.channels});
    for (Index c = 0; c < g.channels; ++c) grad.data<float>()[c] = static_cast<float>(sums[static_cast<std::size_t>(c)]);
    grads[input] = std::move(grad);
  }
  return grads;
}

Tensors fused_batch_norm_gradient(const GradientContext& ctx) {
  const Tensor& dy_tensor = ctx.output_grads[0];
  const Tensor dy_float = dy_tensor.defined() ? dy_tensor.as_float() : Tensor();
  const float* dy = dy_float.defined() ? dy_float.data<float>() : nullptr;
  return normalization_gradient(ctx, kOp, dy != nullptr, [dy](Index i) { return dy[i]; });
}

// The ReLU's gradient is g times the 0/1 mask 0 < out < max_value (out < infinity always holds
// for a plain ReLU's finite values), a multiply rather than a branch: activation signs are
// random to the branch predictor.
Tensors fused_batch_norm_relu_gradient(const GradientContext& ctx) {
  const float hi = relu_max_value(ctx.attrs);
  const float* out = ctx.outputs[0].data<float>();
  const Tensor& g_tensor = ctx.output_grads[0];
  const Tensor g_float = g_tensor.defined() ? g_tensor.as_float() : Tensor();
  const float* g = g_float.defined() ? g_float.data<float>() : nullptr;
  if (std::isinf(hi))
    return normalization_gradient(ctx, kReluOp, g != nullptr,
                                  [g, out](Index i) { return g[i] * static_cast<float>(out[i] > 0.0f); });
  return normalization_gradient(ctx, kReluOp, g != nullptr, [g, out, hi](Index i) {
    return g[i] * static_cast<float>((out[i] > 0.0f) & (out[i] < hi));
  });
}

}  // namespace

std::vector<OpDef> fused_batch_norm_ops() {
  std::vector<OpDef> defs;
  defs.push_back(OpDef{kOp, kOp, fused_batch_norm_kernel, fused_batch_norm_gradient});
  defs.push_back(OpDef{kReluOp, kReluOp, fused_batch_norm_relu_kernel, fused_batch_norm_relu_gradient});
  return defs;
}

}  // namespace ksave::detail
