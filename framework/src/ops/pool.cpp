// MaxPool, AvgPool and their gradients on NHWC inputs, with TensorFlow's window rules: SAME pads
// as Conv2D does, padded positions never win a max and are not counted in an average. MaxPool's
// forward pass is oneDNN's max pooling (a maximum is exact, so any order gives TensorFlow's
// numbers); the others are loops over each window's in-bounds part.
#include <algorithm>
#include <limits>

#include "dnnl_support.hpp"
#include "kernel_util.hpp"
#include "op_groups.hpp"
#include "parallel.hpp"
#include "window_geometry.hpp"

namespace ksave::detail {

namespace {

using Index = std::int64_t;

WindowGeometry pool_geometry(const Shape& input, const Attrs& attrs, const char* op) {
  const auto& k = attr<std::vector<std::int64_t>>(attrs, "ksize", op);
  if (k.size() != 4 || k[0] != 1 || k[3] != 1)
    throw Error(std::string(op) + ": ksize must be [1, h, w, 1], got " + ints_str(k));
  return window_geometry(input, k[1], k[2], attrs, op, false);
}

// The in-bounds part of one output pixel's window: rows [h0, h1), columns [w0, w1).
struct Window {
  Index h0, h1, w0, w1;
  Index count() const { return (h1 - h0) * (w1 - w0); }
};

Window window_at(const WindowGeometry& g, Index oh, Index ow) {
  const Index h = oh * g.stride_h - g.pad_top, w = ow * g.stride_w - g.pad_left;
  return {std::max<Index>(h, 0), std::min(h + g.k_h, g.in_h), std::max<Index>(w, 0),
          std::min(w + g.k_w, g.in_w)};
}

// Calls fn(n, window, output pixel offset) for every output pixel, images split across cores.
template <typename Fn>
void for_each_window(const WindowGeometry& g, Fn fn) {
  // In floating point: a window from a hostile config (pool_size 2^40) must not overflow.
  const double work = static_cast<double>(g.batch * g.out_h * g.out_w * g.channels) *
                      static_cast<double>(g.k_h) * static_cast<double>(g.k_w);
  parallel_chunks(g.batch, work, [&](std::int64_t begin, std::int64_t end) {
    for (Index n = begin; n < end; ++n)
      for (Index oh = 0; oh < g.out_h; ++oh)
        for (Index ow = 0; ow < g.out_w; ++ow)
          fn(n, window_at(g, oh, ow), ((n * g.out_h + oh) * g.out_w + ow) * g.channels);
  });
}

Index input_offset(const WindowGeometry& g, Index n, Index h, Index w) {
  return ((n * g.in_h + h) * g.in_w + w) * g.channels;
}

struct PoolEntry {
  dnnl::memory::desc src, dst, scratch;
  dnnl::pooling_forward prim;
};

const PoolEntry& max_pool_entry(const WindowGeometry& g) {
  static onednn::PrimitiveCache<PoolEntry> cache;
  const onednn::PrimitiveKey key{g.batch, g.in_h,     g.in_w,     g.channels, g.k_h,    g.k_w,
                                 g.stride_h, g.stride_w, g.pad_top, g.pad_left, g.out_h, g.out_w};
  // Work in the units of threads_for's threshold (GEMM flops): a window element is a strided load
  // and a compare, memory-bound; measured 58 ps each at one thread (the CNN: 40 µs for
  // 64x26x26x16 in 2x2 windows), where the threshold's flops take 25 ps. Counted as one flop, that
  // 40 µs pool stayed on one thread beside a convolution that used two.
  constexpr double kFlopsPerWindowElement = 4.0;
  const double work = static_cast<double>(g.batch * g.out_h * g.out_w * g.channels * g.k_h * g.k_w) *
                      kFlopsPerWindowElement;
  try {
    return cache.get(key, work, [&] {
      PoolEntry e{onednn::nhwc(g.batch, g.channels, g.in_h, g.in_w),
                  onednn::nhwc(g.batch, g.channels, g.out_h, g.out_w), {}, {}};
      const dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max, e.src,
                                             e.dst, {g.stride_h, g.stride_w}, {g.k_h, g.k_w},
                                             {g.pad_top, g.pad_left}, {g.pad_bottom(), g.pad_right()});
      const dnnl::pooling_forward::primitive_desc pd(desc, onednn::attributes(), onednn::engine());
      e.scratch = pd.scratchpad_desc();
      e.prim = dnnl::pooling_forward(pd);
      return e;
    });
  } catch (const dnnl::error& e) {
    onednn::fail("MaxPool", e);
  }
}

Tensor max_pool(const Tensor& x, const WindowGeometry& g) {
  Tensor y = make_float_output({g.batch, g.out_h, g.out_w, g.channels});
  if (y.size() == 0) return y;
  // oneDNN wants every window to reach the input; padding wider than the window (only EXPLICIT
  // padding can be) leaves windows empty, whose -inf the loop below gives as TensorFlow does.
  const bool windows_reach_input = std::max({g.pad_top, g.pad_bottom()}) < g.k_h &&
                                   std::max({g.pad_left, g.pad_right()}) < g.k_w;
  if (windows_reach_input) {
    const PoolEntry& e = max_pool_entry(g);
    onednn::run(e.prim, {{DNNL_ARG_SRC, e.src, x.data<float>()}, {DNNL_ARG_DST, e.dst, y.data<float>()}}, e.scratch);
    return y;
  }
  const float* in = x.data<float>();
  float* out = y.data<float>();
  for_each_window(g, [&](Index n, const Window& win, Index at) {
    std::fill_n(out + at, g.channels, -std::numeric_limits<float>::infinity());
    for (Index h = win.h0; h < win.h1; ++h)
      for (Index w = win.w0; w < win.w1; ++w) {
        const float* px = in + input_offset(g, n, h, w);
        for (Index c = 0; c < g.channels; ++c) out[at + c] = std::max(out[at + c], px[c]);
      }
  });
  return y;
}

// Routes each output gradient to the first position holding its window's maximum (TF's rule
// for ties), recomputed from the input. Channels innermost, a block at a time, as they lie in
// memory (a loop over each channel's window read the input with a stride of `channels` and took
// 28% of the small CNN's training step); per channel the window is still scanned in row-major
// order and only a strictly greater value takes over, so the positions are the same.
Tensor max_pool_grad(const Tensor& x, const Tensor& dy, const WindowGeometry& g) {
  Tensor dx = filled(DType::Float32, x.shape(), 0.0);
  const float* in = x.data<float>();
  const float* grad = dy.data<float>();
  float* out = dx.data<float>();
  constexpr Index kBlock = 64;
  for_each_window(g, [&](Index n, const Window& win, Index at) {
    if (win.count() == 0) return;
    for (Index c0 = 0; c0 < g.channels; c0 += kBlock) {
      const Index width = std::min(kBlock, g.channels - c0);
      Index best[kBlock];
      float best_value[kBlock];
      const Index first = input_offset(g, n, win.h0, win.w0) + c0;
      for (Index c = 0; c < width; ++c) {
        best[c] = first + c;
        best_value[c] = in[first + c];
      }
      for (Index h = win.h0; h < win.h1; ++h)
        for (Index w = win.w0; w < win.w1; ++w) {
          const Index base = input_offset(g, n, h, w) + c0;
          for (Index c = 0; c < width; ++c) {
            const bool greater = in[base + c] > best_value[c];
            best_value[c] = greater ? in[base + c] : best_value[c];
            best[c] = greater ? base + c : best[c];
          }
        }
      for (Index c = 0; c < width; ++c) out[best[c]] += grad[at + c0 + c];
    }
  });
  return dx;
}

Tensor avg_pool(const Tensor& x, const WindowGeometry& g) {
  Tensor y = filled(DType::Float32, {g.batch, g.out_h, g.out_w, g.channels}, 0.0);
  const float* in = x.data<float>();
  float* out = y.data<float>();
  for_each_window(g, [&](Index n, const Window& win, Index at) {
    for (Index h = win.h0; h < win.h1; ++h)
      for (Index w = win.w0; w < win.w1; ++w) {
        const float* px = in + input_offset(g, n, h, w);
        for (Index c = 0; c < g.channels; ++c) out[at + c] += px[c];
      }
    const float scale = win.count() > 0 ? 1.0f / static_cast<float>(win.count()) : 0.0f;
    for (Index c = 0; c < g.channels; ++c) out[at + c] *= scale;
  });
  return y;
}

Tensor avg_pool_grad(const Tensor& dy, const Shape& input_shape, const WindowGeometry& g) {
  Tensor dx = filled(DType::Float32, input_shape, 0.0);
  const float* grad = dy.data<float>();
  float* out = dx.data<float>();
  for_each_window(g, [&](Index n, const Window& win, Index at) {
    if (win.count() == 0) return;
    const float scale = 1.0f / static_cast<float>(win.count());
    for (Index h = win.h0; h < win.h1; ++h)
      for (Index w = win.w0; w < win.w1; ++w) {
        float* px = out + input_offset(g, n, h, w);
        for (Index c = 0; c < g.channels; ++c) px[c] += grad[at + c] * scale;
      }
  });
  return dx;
}

void expect_pooled_shape(const WindowGeometry& g, const Tensor& dy, const char* op) {
  const Shape expected{g.batch, g.out_h, g.out_w, g.channels};
  if (dy.shape() != expected)
    throw Error(std::string(op) + ": gradient is " + shape_str(dy) + ", the pooling gives " +
                shape_to_string(expected));
}

Tensors max_pool_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  expect_inputs("MaxPool", in, 1);
  Tensor xc;
  const Tensor& x = float_view(in[0], xc);
  return one_output(max_pool(x, pool_geometry(x.shape(), attrs, "MaxPool")));
}

Tensors max_pool_gradient(const GradientContext& ctx) {
  const Tensor& g = ctx.output_grads[0];
  if (!g.defined()) return {Tensor()};
  const Tensor inputs[] = {ctx.inputs[0], ctx.outputs[0], g};
  return {run_op("MaxPoolGrad", inputs, ctx.attrs)[0]};
}

// (orig_input, orig_output, grad) as TensorFlow's MaxPoolGrad; orig_output is not needed here
// because the window maxima are recomputed.
Tensors max_pool_grad_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  expect_inputs("MaxPoolGrad", in, 3);
  Tensor xc, gc;
  const Tensor& x = float_view(in[0], xc);
  const Tensor& dy = float_view(in[2], gc);
  const WindowGeometry g = pool_geometry(x.shape(), attrs, "MaxPoolGrad");
  expect_pooled_shape(g, dy, "MaxPoolGrad");
  return one_output(max_pool_grad(x, dy, g));
}

Tensors avg_pool_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  expect_inputs("AvgPool", in, 1);
  Tensor xc;
  const Tensor& x = float_view(in[0], xc);
  return one_output(avg_pool(x, pool_geometry(x.shape(), attrs, "AvgPool")));
}

Tensors avg_pool_gradient(const GradientContext& ctx) {
  const Tensor& g = ctx.output_grads[0];
  if (!g.defined()) return {Tensor()};
  Attrs attrs = ctx.attrs;
  const Shape& shape = ctx.inputs[0].shape();
  attrs.set("orig_input_shape", std::vector<std::int64_t>(shape.begin(), shape.end()));
  return {run_op("AvgPoolGrad", {&g, 1}, attrs)[0]};
}

// (grad); orig_input_shape as an attribute (TensorFlow passes it as a tensor input).
Tensors avg_pool_grad_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  expect_inputs("AvgPoolGrad", in, 1);
  Tensor gc;
  const Tensor& dy = float_view(in[0], gc);
  const Shape shape = shape_attr(attrs, "orig_input_shape", 4, "AvgPoolGrad");
  const WindowGeometry g = pool_geometry(shape, attrs, "AvgPoolGrad");
  expect_pooled_shape(g, dy, "AvgPoolGrad");
  return one_output(avg_pool_grad(dy, shape, g));
}

// AvgPoolGrad is linear in its gradient input; its adjoint is AvgPool.
Tensors avg_pool_grad_gradient(const GradientContext& ctx) {
  const Tensor& g = ctx.output_grads[0];
  if (!g.defined()) return {Tensor()};
  return {run_op("AvgPool", {&g, 1}, ctx.attrs)[0]};
}

}  // namespace

std::vector<OpDef> pool_ops() {
  std::vector<OpDef> defs;
  defs.push_back(OpDef{"MaxPool", "MaxPool", max_pool_kernel, max_pool_gradient});
  // Second derivatives through a max are zero almost everywhere; TF's MaxPoolGradGrad is not
  // needed by any layer, so the gradient op is not differentiable here.
  defs.push_back(OpDef{"MaxPoolGrad", "MaxPoolGrad", max_pool_grad_kernel, {}});
  defs.push_back(OpDef{"AvgPool", "AvgPool", avg_pool_kernel, avg_pool_gradient});
  defs.push_back(OpDef{"AvgPoolGrad", "AvgPoolGrad", avg_pool_grad_kernel, avg_pool_grad_gradient});
  return defs;
}

}  // namespace ksave::detail
