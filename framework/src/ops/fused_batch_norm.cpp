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
// The statistics are summed in double, row after row (the same order on any thread count, so a
// resumed training run repeats an uninterrupted one bit for bit). Layers use the op only when no
// graph tracer watches (fused_ops_allowed()); traced functions keep TensorFlow's primitive ops.
#include <cmath>
#include <vector>

#include "kernel_util.hpp"
#include "op_groups.hpp"
#include "parallel.hpp"

namespace ksave::detail {

namespace {

using Index = std::int64_t;
constexpr const char* kOp = "FusedBatchNormTraining";

struct Geometry {
  Index rows, channels;
};

Geometry geometry(std::span<const Tensor> in) {
  expect_inputs(kOp, in, 3);
  const Tensor& x = in[0];
  if (x.dtype() != DType::Float32 || x.rank() < 2)
    throw Error(std::string(kOp) + ": expected a float32 x of rank >= 2, got " + shape_str(x));
  const Index channels = x.dim(x.rank() - 1);
  for (std::size_t i = 1; i < 3; ++i)
    if (in[i].dtype() != DType::Float32 || in[i].shape() != Shape{channels})
      throw Error(std::string(kOp) + ": expected a float32 " + (i == 1 ? "scale" : "offset") + " of shape (" +
                  std::to_string(channels) + "), got " + shape_str(in[i]));
  return {channels == 0 ? 0 : x.size() / channels, channels};
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

Tensors fused_batch_norm_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  const Geometry g = geometry(in);
  const double epsilon = attr<double>(attrs, "epsilon", kOp);
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
        out[i] = (x[i] - m[c]) * factor[static_cast<std::size_t>(c)] + offset[c];
      }
  });
  Tensors outputs;
  outputs.reserve(3);
  outputs.push_back(std::move(y));
  outputs.push_back(std::move(mean));
  outputs.push_back(std::move(variance));
  return outputs;
}

// With xhat = (x - mean) * inv (inv = rsqrt(variance + epsilon)) and n rows:
//   d offset = sum(dy), d scale = sum(dy * xhat),
//   dx = scale * inv / n * (n * dy - d offset - xhat * d scale)
// plus what reaches the mean and variance outputs directly: d mean / n and
// d variance * 2 (x - mean) / n.
Tensors fused_batch_norm_gradient(const GradientContext& ctx) {
  const Geometry g = geometry(ctx.inputs);
  const double epsilon = attr<double>(ctx.attrs, "epsilon", kOp);
  const float* x = ctx.inputs[0].data<float>();
  const float* scale = ctx.inputs[1].data<float>();
  const float* m = ctx.outputs[1].data<float>();
  const std::vector<float> inv = inverse_deviations(ctx.outputs[2].data<float>(), g.channels, epsilon);
  const auto at = [](const std::vector<float>& v, Index c) { return v[static_cast<std::size_t>(c)]; };
  const auto xhat = [&](Index i, Index c) { return (x[i] - m[c]) * at(inv, c); };
  const Tensor& dy_tensor = ctx.output_grads[0];
  const Tensor& dmean_tensor = ctx.output_grads[1];
  const Tensor& dvar_tensor = ctx.output_grads[2];
  Tensors grads;
  grads.resize(3);
  const double count = static_cast<double>(std::max<Index>(g.rows, 1));
  std::vector<double> sum_dy(static_cast<std::size_t>(g.channels), 0.0), sum_dy_xhat(sum_dy);
  const Tensor dy_float = dy_tensor.defined() ? dy_tensor.as_float() : Tensor();
  const float* dy = dy_float.defined() ? dy_float.data<float>() : nullptr;
  if (dy)  // both sums in one pass over dy and x, row after row as channel_sums adds
    for (Index r = 0; r < g.rows; ++r)
      for (Index c = 0; c < g.channels; ++c) {
        const Index i = r * g.channels + c;
        const auto j = static_cast<std::size_t>(c);
        sum_dy[j] += double{dy[i]};
        sum_dy_xhat[j] += double{dy[i] * xhat(i, c)};
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
      a[j] = dy ? static_cast<float>(factor) : 0.0f;
      k[j] = static_cast<float>((dy ? -factor * sum_dy_xhat[j] / count * inv[j] : 0.0) + (dvar ? 2.0 * dvar[c] / count : 0.0));
      b[j] = static_cast<float>((dy ? -factor * sum_dy[j] / count : 0.0) + (dmean ? dmean[c] / count : 0.0));
    }
    Tensor dx = make_float_output(ctx.inputs[0].shape());
    float* out = dx.data<float>();
    const float* dy_or_x = dy ? dy : x;  // a is 0 without dy
    parallel_chunks(g.rows, 4.0 * static_cast<double>(g.rows * g.channels), [&](Index begin, Index end) {
      for (Index r = begin; r < end; ++r) {
        const float* xr = x + r * g.channels;
        const float* dyr = dy_or_x + r * g.channels;
        float* outr = out + r * g.channels;
        for (Index c = 0; c < g.channels; ++c) outr[c] = a[static_cast<std::size_t>(c)] * dyr[c] + k[static_cast<std::size_t>(c)] * (xr[c] - m[c]) + b[static_cast<std::size_t>(c)];
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

}  // namespace

std::vector<OpDef> fused_batch_norm_ops() {
  std::vector<OpDef> defs;
  defs.push_back(OpDef{kOp, kOp, fused_batch_norm_kernel, fused_batch_norm_gradient});
  return defs;
}

}  // namespace ksave::detail
