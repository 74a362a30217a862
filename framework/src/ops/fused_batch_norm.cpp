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
// The passes over the activations are plain loops over raw pointers, compiled twice (AVX2 and
// the x86-64 baseline, picked at load time: target_clones): the library has no -march, and the
// float to double conversions of the sums made the baseline's 4-wide code compute-bound (a
// MobileNetV2 batch-8 step spent 12% more in them). Vectorized across channels only and without
// FMA contraction, both give the same bits.
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

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define KSAVE_BATCH_NORM_LOOP __attribute__((target_clones("avx2", "default"))) __attribute__((noinline))
#else
#define KSAVE_BATCH_NORM_LOOP
#endif

// The sums below cover `width` channels of rows `stride` floats apart (a block of the channels,
// the pointers at its first): threads split the channels, each channel still adds its rows in
// order.

// sums[c] += x[r, c] over the rows, in double.
KSAVE_BATCH_NORM_LOOP void add_channel_sums(const float* __restrict x, Index rows, Index stride, Index width,
                                            double* __restrict sums) {
  for (Index r = 0; r < rows; ++r)
    for (Index c = 0; c < width; ++c) sums[c] += double{x[r * stride + c]};
}

// squares[c] += (x[r, c] - m[c])^2 over the rows, in double.
KSAVE_BATCH_NORM_LOOP void add_channel_squared_deviations(const float* __restrict x, Index rows, Index stride,
                                                          Index width, const float* __restrict m,
                                                          double* __restrict squares) {
  for (Index r = 0; r < rows; ++r)
    for (Index c = 0; c < width; ++c) {
      const double d = double{x[r * stride + c]} - m[c];
      squares[c] += d * d;
    }
}

// out = min(max((x - m) * factor + offset, lo), hi) for rows [begin, end): lo -inf and hi +inf
// leave the normalized value as it is.
KSAVE_BATCH_NORM_LOOP void normalize_rows(const float* __restrict x, Index begin, Index end, Index channels,
                                          const float* __restrict m, const float* __restrict factor,
                                          const float* __restrict offset, float lo, float hi,
                                          float* __restrict out) {
  for (Index r = begin; r < end; ++r)
    for (Index c = 0; c < channels; ++c) {
      const Index i = r * channels + c;
      out[i] = std::min(std::max((x[i] - m[c]) * factor[c] + offset[c], lo), hi);
    }
}

// The gradient reaching the normalized value: g, or with an activation after it (Masked) g times
// its 0/1 mask 0 < out < hi taken from the activation's output (a multiply, not a branch:
// activation signs are random to the branch predictor).
template <bool Masked>
[[gnu::always_inline]] inline float dy_at(const float* __restrict g, const float* __restrict out, Index i, float hi) {
  if constexpr (Masked) return g[i] * static_cast<float>((out[i] > 0.0f) & (out[i] < hi));
  return g[i];
}

template <bool Masked>
[[gnu::always_inline]] inline void add_gradient_sums_of(const float* __restrict g, const float* __restrict out,
                                                        float hi, const float* __restrict x, Index rows,
                                                        Index stride, Index width, const float* __restrict m,
                                                        const float* __restrict inv, double* __restrict sum_dy,
                                                        double* __restrict sum_dy_xhat) {
  for (Index r = 0; r < rows; ++r)
    for (Index c = 0; c < width; ++c) {
      const Index i = r * stride + c;
      const float d = dy_at<Masked>(g, out, i, hi);
      sum_dy[c] += double{d};
      sum_dy_xhat[c] += double{d * ((x[i] - m[c]) * inv[c])};
    }
}

// sum_dy[c] += dy and sum_dy_xhat[c] += dy * (x - m) * inv over the rows, in double (out null:
// no activation).
KSAVE_BATCH_NORM_LOOP void add_gradient_sums(const float* g, const float* out, float hi, const float* x, Index rows,
                                             Index stride, Index width, const float* m, const float* inv,
                                             double* sum_dy, double* sum_dy_xhat) {
  if (out)
    add_gradient_sums_of<true>(g, out, hi, x, rows, stride, width, m, inv, sum_dy, sum_dy_xhat);
  else
    add_gradient_sums_of<false>(g, out, hi, x, rows, stride, width, m, inv, sum_dy, sum_dy_xhat);
}

template <bool Masked>
[[gnu::always_inline]] inline void gradient_rows_of(const float* __restrict g, const float* __restrict out, float hi,
                                                    const float* __restrict x, Index begin, Index end,
                                                    Index channels, const float* __restrict m,
                                                    const float* __restrict a, const float* __restrict k,
                                                    const float* __restrict b, float* __restrict dx) {
  for (Index r = begin; r < end; ++r)
    for (Index c = 0; c < channels; ++c) {
      const Index i = r * channels + c;
      dx[i] = a[c] * dy_at<Masked>(g, out, i, hi) + k[c] * (x[i] - m[c]) + b[c];
    }
}

// dx = a * dy + k * (x - m) + b for rows [begin, end) (g null: no dy, a is 0; out null: no
// activation).
KSAVE_BATCH_NORM_LOOP void gradient_rows(const float* g, const float* out, float hi, const float* x, Index begin,
                                         Index end, Index channels, const float* m, const float* a, const float* k,
                                         const float* b, float* dx) {
  if (!g) {
    for (Index r = begin; r < end; ++r)
      for (Index c = 0; c < channels; ++c) dx[r * channels + c] = k[c] * (x[r * channels + c] - m[c]) + b[c];
  } else if (out) {
    gradient_rows_of<true>(g, out, hi, x, begin, end, channels, m, a, k, b, dx);
  } else {
    gradient_rows_of<false>(g, out, hi, x, begin, end, channels, m, a, k, b, dx);
  }
}

// Runs fn(c0, c1) over blocks of the channels, one per thread when the pass (`flops`) is large
// enough (parallel_chunks), the blocks whole AVX2 vectors of floats.
template <typename F>
void over_channel_blocks(Index channels, double flops, F&& fn) {
  constexpr Index kBlock = 8;
  parallel_chunks((channels + kBlock - 1) / kBlock, flops,
                  [&](Index b0, Index b1) { fn(b0 * kBlock, std::min(b1 * kBlock, channels)); });
}

// rsqrt(variance + epsilon) in float32, as the unfused layer computes it.
std::vector<float> inverse_deviations(const float* variance, Index channels, double epsilon) {
  std::vector<float> inv(static_cast<std::size_t>(channels));
  for (Index c = 0; c < channels; ++c)
    inv[static_cast<std::size_t>(c)] = 1.0f / std::sqrt(variance[c] + static_cast<float>(epsilon));
  return inv;
}

// The normalization, clamped to [lo, hi] in the same pass (-inf, +inf: not clamped): y, mean,
// variance.
Tensors normalize(std::span<const Tensor> in, const Geometry& g, double epsilon, float lo, float hi) {
  const float* x = in[0].data<float>();
  const float* scale = in[1].data<float>();
  const float* offset = in[2].data<float>();
  Tensor mean = make_float_output({g.channels}), variance = make_float_output({g.channels});
  float* m = mean.data<float>();
  float* v = variance.data<float>();
  const double count = static_cast<double>(std::max<Index>(g.rows, 1));
  const double size = static_cast<double>(g.rows * g.channels);
  std::vector<double> sums(static_cast<std::size_t>(g.channels), 0.0);
  over_channel_blocks(g.channels, size, [&](Index c0, Index c1) {
    add_channel_sums(x + c0, g.rows, g.channels, c1 - c0, sums.data() + c0);
  });
  for (Index c = 0; c < g.channels; ++c) m[c] = static_cast<float>(sums[static_cast<std::size_t>(c)] / count);
  std::fill(sums.begin(), sums.end(), 0.0);
  over_channel_blocks(g.channels, 2.0 * size, [&](Index c0, Index c1) {
    add_channel_squared_deviations(x + c0, g.rows, g.channels, c1 - c0, m + c0, sums.data() + c0);
  });
  for (Index c = 0; c < g.channels; ++c) v[c] = static_cast<float>(sums[static_cast<std::size_t>(c)] / count);
  std::vector<float> factor = inverse_deviations(v, g.channels, epsilon);
  for (Index c = 0; c < g.channels; ++c) factor[static_cast<std::size_t>(c)] *= scale[c];
  Tensor y = make_float_output(in[0].shape());
  float* out = y.data<float>();
  parallel_chunks(g.rows, 3.0 * static_cast<double>(g.rows * g.channels), [&](Index begin, Index end) {
    normalize_rows(x, begin, end, g.channels, m, factor.data(), offset, lo, hi, out);
  });
  Tensors outputs;
  outputs.reserve(3);
  outputs.push_back(std::move(y));
  outputs.push_back(std::move(mean));
  outputs.push_back(std::move(variance));
  return outputs;
}

constexpr float kInfinity = std::numeric_limits<float>::infinity();

Tensors fused_batch_norm_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  return normalize(in, geometry(in, kOp), attr<double>(attrs, "epsilon", kOp), -kInfinity, kInfinity);
}

// min(max(y, 0), max_value): the values of Relu then ClipByValue(0, max_value).
Tensors fused_batch_norm_relu_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  return normalize(in, geometry(in, kReluOp), attr<double>(attrs, "epsilon", kReluOp), 0.0f, relu_max_value(attrs));
}

// With xhat = (x - mean) * inv (inv = rsqrt(variance + epsilon)) and n rows:
//   d offset = sum(dy), d scale = sum(dy * xhat),
//   dx = scale * inv / n * (n * dy - d offset - xhat * d scale)
// plus what reaches the mean and variance outputs directly: d mean / n and
// d variance * 2 (x - mean) / n.
// dy is the output's gradient g (null: none reaches it), with an activation after the
// normalization (`out` its output, not null) masked by 0 < out < hi where it is read, twice,
// rather than written out.
Tensors normalization_gradient(const GradientContext& ctx, const char* op, const float* g, const float* out, float hi) {
  const Geometry geo = geometry(ctx.inputs, op);
  const double epsilon = attr<double>(ctx.attrs, "epsilon", op);
  const float* x = ctx.inputs[0].data<float>();
  const float* scale = ctx.inputs[1].data<float>();
  const float* m = ctx.outputs[1].data<float>();
  const std::vector<float> inv = inverse_deviations(ctx.outputs[2].data<float>(), geo.channels, epsilon);
  const Tensor& dmean_tensor = ctx.output_grads[1];
  const Tensor& dvar_tensor = ctx.output_grads[2];
  Tensors grads;
  grads.resize(3);
  const double count = static_cast<double>(std::max<Index>(geo.rows, 1));
  std::vector<double> sum_dy(static_cast<std::size_t>(geo.channels), 0.0), sum_dy_xhat(sum_dy);
  if (g)  // both sums in one pass over dy and x, row after row
    over_channel_blocks(geo.channels, 5.0 * static_cast<double>(geo.rows * geo.channels), [&](Index c0, Index c1) {
      add_gradient_sums(g + c0, out ? out + c0 : nullptr, hi, x + c0, geo.rows, geo.channels, c1 - c0, m + c0,
                        inv.data() + c0, sum_dy.data() + c0, sum_dy_xhat.data() + c0);
    });
  if (ctx.wants(0)) {
    // Per channel, dx = a * dy + k * (x - mean) + b: the formula above with the mean and
    // variance outputs' own gradients folded into k and b, one multiply-add pass.
    const float* dmean = dmean_tensor.defined() ? dmean_tensor.data<float>() : nullptr;
    const float* dvar = dvar_tensor.defined() ? dvar_tensor.data<float>() : nullptr;
    std::vector<float> a(static_cast<std::size_t>(geo.channels)), k(a.size()), b(a.size());
    for (Index c = 0; c < geo.channels; ++c) {
      const auto j = static_cast<std::size_t>(c);
      const double factor = double{scale[c]} * inv[j];
      a[j] = g ? static_cast<float>(factor) : 0.0f;
      k[j] = static_cast<float>((g ? -factor * sum_dy_xhat[j] / count * inv[j] : 0.0) + (dvar ? 2.0 * dvar[c] / count : 0.0));
      b[j] = static_cast<float>((g ? -factor * sum_dy[j] / count : 0.0) + (dmean ? dmean[c] / count : 0.0));
    }
    Tensor dx = make_float_output(ctx.inputs[0].shape());
    float* dx_data = dx.data<float>();
    parallel_chunks(geo.rows, 4.0 * static_cast<double>(geo.rows * geo.channels), [&](Index begin, Index end) {
      gradient_rows(g, out, hi, x, begin, end, geo.channels, m, a.data(), k.data(), b.data(), dx_data);
    });
    grads[0] = std::move(dx);
  }
  for (std::size_t input = 1; input < 3; ++input) {
    if (!ctx.wants(input)) continue;
    const std::vector<double>& sums = input == 1 ? sum_dy_xhat : sum_dy;
    Tensor grad = make_float_output({geo.channels});
    for (Index c = 0; c < geo.channels; ++c) grad.data<float>()[c] = static_cast<float>(sums[static_cast<std::size_t>(c)]);
    grads[input] = std::move(grad);
  }
  return grads;
}

// The output gradient as float32 (null when none reaches the output); `held` keeps it alive.
const float* output_gradient(const GradientContext& ctx, Tensor& held) {
  if (!ctx.output_grads[0].defined()) return nullptr;
  held = ctx.output_grads[0].as_float();
  return held.data<float>();
}

Tensors fused_batch_norm_gradient(const GradientContext& ctx) {
  Tensor held;
  return normalization_gradient(ctx, kOp, output_gradient(ctx, held), nullptr, kInfinity);
}

// The ReLU's gradient is g times the 0/1 mask 0 < out < max_value (out < infinity always holds
// for a plain ReLU's finite values).
Tensors fused_batch_norm_relu_gradient(const GradientContext& ctx) {
  Tensor held;
  return normalization_gradient(ctx, kReluOp, output_gradient(ctx, held), ctx.outputs[0].data<float>(),
                                relu_max_value(ctx.attrs));
}

}  // namespace

std::vector<OpDef> fused_batch_norm_ops() {
  std::vector<OpDef> defs;
  defs.push_back(OpDef{kOp, kOp, fused_batch_norm_kernel, fused_batch_norm_gradient});
  defs.push_back(OpDef{kReluOp, kReluOp, fused_batch_norm_relu_kernel, fused_batch_norm_relu_gradient});
  return defs;
}

}  // namespace ksave::detail
