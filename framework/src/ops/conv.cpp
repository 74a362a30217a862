// Conv2D (with groups), Conv2DBackpropInput, Conv2DBackpropFilter and DepthwiseConv2dNative, on
// NHWC inputs and HWIO filters. Every kernel is im2col + Eigen GEMM: the patches of a block of
// images become the rows of a matrix (columns ordered kh, kw, channel, as the filter is stored),
// so the convolution is one matrix product per group. Blocks of images are split across cores.
#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <mutex>

#include "gradient_util.hpp"
#include "kernel_util.hpp"
#include "op_groups.hpp"
#include "parallel.hpp"
#include "window_geometry.hpp"

namespace ksave::detail {

namespace {

using Index = Eigen::Index;
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;

// Patch matrices are built for a few images at a time so that their size stays bounded
// (about 64 MB) whatever the batch.
constexpr Index kMaxPatchFloats = Index{1} << 24;

struct ConvShape {
  WindowGeometry g;
  Index groups = 1, group_in = 0, out_channels = 0, group_out = 0;
  Index pixels() const { return g.out_h * g.out_w; }
  Index patch() const { return g.k_h * g.k_w * group_in; }
  Shape output() const { return {g.batch, g.out_h, g.out_w, out_channels}; }
  Shape filter() const { return {g.k_h, g.k_w, group_in, out_channels}; }
  double flops() const {
    return 2.0 * static_cast<double>(g.batch * pixels()) * static_cast<double>(patch()) *
           static_cast<double>(out_channels);
  }
  Index images_per_block() const {
    return std::max<Index>(1, kMaxPatchFloats / std::max<Index>(1, pixels() * patch()));
  }
};

ConvShape conv_shape(const Shape& input, const Shape& filter, const Attrs& attrs, const char* op) {
  if (filter.size() != 4)
    throw Error(std::string(op) + ": expected an HWIO filter of rank 4, got " +
                shape_to_string(filter));
  ConvShape s;
  s.g = window_geometry(input, filter[0], filter[1], attrs, op, true);
  s.group_in = filter[2];
  s.out_channels = filter[3];
  if (s.group_in < 1 || s.g.channels % s.group_in != 0)
    throw Error(std::string(op) + ": filter " + shape_to_string(filter) +
                " has an input depth that does not divide the input's " +
                std::to_string(s.g.channels) + " channels");
  s.groups = s.g.channels / s.group_in;
  if (s.out_channels % s.groups != 0)
    throw Error(std::string(op) + ": " + std::to_string(s.out_channels) +
                " output channels cannot be split into " + std::to_string(s.groups) + " groups");
  s.group_out = s.out_channels / s.groups;
  return s;
}

// Checks that dy has the output shape the geometry gives.
void expect_output_shape(const ConvShape& s, const Tensor& dy, const char* op) {
  if (dy.shape() != s.output())
    throw Error(std::string(op) + ": out_backprop is " + shape_str(dy) + ", the convolution gives " +
                shape_to_string(s.output()));
}

// Calls fn(pixel_offset_in_patch, input_offset) for every in-bounds tap of image n's patches,
// with `row` the patch row; out-of-bounds taps call pad(row, tap_offset).
template <typename Tap, typename Pad>
void for_each_tap(const ConvShape& s, Index n, Index first_row, Tap tap, Pad pad) {
  const WindowGeometry& g = s.g;
  for (Index oh = 0; oh < g.out_h; ++oh)
    for (Index ow = 0; ow < g.out_w; ++ow) {
      const Index row = first_row + oh * g.out_w + ow;
      for (Index kh = 0; kh < g.k_h; ++kh) {
        const Index ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
        for (Index kw = 0; kw < g.k_w; ++kw) {
          const Index iw = ow * g.stride_w - g.pad_left + kw * g.dilation_w;
          const Index column = (kh * g.k_w + kw) * s.group_in;
          if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w)
            pad(row, column);
          else
            tap(row, column, ((n * g.in_h + ih) * g.in_w + iw) * g.channels);
        }
      }
    }
}

// Patch rows of images [n0, n1) for the channels of `group`.
void im2col(const float* x, const ConvShape& s, Index n0, Index n1, Index group, float* col) {
  const Index cg = s.group_in, patch = s.patch(), channel0 = group * cg;
  for (Index n = n0; n < n1; ++n)
    for_each_tap(
        s, n, (n - n0) * s.pixels(),
        [&](Index row, Index column, Index at) {
          std::memcpy(col + row * patch + column, x + at + channel0, sizeof(float) * cg);
        },
        [&](Index row, Index column) { std::fill_n(col + row * patch + column, cg, 0.0f); });
}

// The adjoint of im2col: adds patch rows back onto the images they came from.
void col2im(const float* col, const ConvShape& s, Index n0, Index n1, Index group, float* dx) {
  const Index cg = s.group_in, patch = s.patch(), channel0 = group * cg;
  for (Index n = n0; n < n1; ++n)
    for_each_tap(
        s, n, (n - n0) * s.pixels(),
        [&](Index row, Index column, Index at) {
          const float* src = col + row * patch + column;
          float* dst = dx + at + channel0;
          for (Index c = 0; c < cg; ++c) dst[c] += src[c];
        },
        [](Index, Index) {});
}

// Runs fn(n0, n1, patch_buffer) over bounded blocks of images, blocks spread across cores.
template <typename Fn>
void for_image_blocks(const ConvShape& s, Fn fn) {
  const Index block = s.images_per_block();
  parallel_chunks(s.g.batch, s.flops(), [&](std::int64_t begin, std::int64_t end) {
    std::vector<float> col(static_cast<std::size_t>(std::min<Index>(block, end - begin) *
                                                    s.pixels() * s.patch()));
    for (Index n0 = begin; n0 < end; n0 += block) fn(n0, std::min<Index>(n0 + block, end), col);
  });
}

Tensor conv_forward(const Tensor& x, const Tensor& filter, const ConvShape& s) {
  Tensor y = filled(DType::Float32, s.output(), 0.0);
  if (y.size() == 0 || s.patch() == 0) return y;
  const ConstMatrixMap w(filter.data<float>(), s.patch(), s.out_channels);
  for_image_blocks(s, [&](Index n0, Index n1, std::vector<float>& col) {
    const Index rows = (n1 - n0) * s.pixels();
    MatrixMap out(y.data<float>() + n0 * s.pixels() * s.out_channels, rows, s.out_channels);
    for (Index group = 0; group < s.groups; ++group) {
      im2col(x.data<float>(), s, n0, n1, group, col.data());
      const ConstMatrixMap patches(col.data(), rows, s.patch());
      out.middleCols(group * s.group_out, s.group_out).noalias() =
          patches * w.middleCols(group * s.group_out, s.group_out);
    }
  });
  return y;
}

Tensor conv_backprop_input(const Tensor& filter, const Tensor& dy, const ConvShape& s,
                           const Shape& input_shape) {
  Tensor dx = filled(DType::Float32, input_shape, 0.0);
  if (dy.size() == 0 || s.patch() == 0) return dx;
  const ConstMatrixMap w(filter.data<float>(), s.patch(), s.out_channels);
  for_image_blocks(s, [&](Index n0, Index n1, std::vector<float>& col) {
    const Index rows = (n1 - n0) * s.pixels();
    const ConstMatrixMap grad(dy.data<float>() + n0 * s.pixels() * s.out_channels, rows,
                              s.out_channels);
    for (Index group = 0; group < s.groups; ++group) {
      MatrixMap patches(col.data(), rows, s.patch());
      patches.noalias() = grad.middleCols(group * s.group_out, s.group_out) *
                          w.middleCols(group * s.group_out, s.group_out).transpose();
      col2im(col.data(), s, n0, n1, group, dx.data<float>());
    }
  });
  return dx;
}

Tensor conv_backprop_filter(const Tensor& x, const Tensor& dy, const ConvShape& s) {
  Tensor dw = filled(DType::Float32, s.filter(), 0.0);
  if (dy.size() == 0 || s.patch() == 0) return dw;
  MatrixMap total(dw.data<float>(), s.patch(), s.out_channels);
  std::mutex total_mutex;
  const Index block = s.images_per_block();
  parallel_chunks(s.g.batch, s.flops(), [&](std::int64_t begin, std::int64_t end) {
    RowMatrix partial = RowMatrix::Zero(s.patch(), s.out_channels);
    std::vector<float> col(
        static_cast<std::size_t>(std::min<Index>(block, end - begin) * s.pixels() * s.patch()));
    for (Index n0 = begin; n0 < end; n0 += block) {
      const Index n1 = std::min<Index>(n0 + block, end), rows = (n1 - n0) * s.pixels();
      const ConstMatrixMap grad(dy.data<float>() + n0 * s.pixels() * s.out_channels, rows,
                                s.out_channels);
      for (Index group = 0; group < s.groups; ++group) {
        im2col(x.data<float>(), s, n0, n1, group, col.data());
        const ConstMatrixMap patches(col.data(), rows, s.patch());
        partial.middleCols(group * s.group_out, s.group_out).noalias() +=
            patches.transpose() * grad.middleCols(group * s.group_out, s.group_out);
      }
    }
    const std::lock_guard lock(total_mutex);
    total += partial;
  });
  return dw;
}

std::vector<std::int64_t> dims(const Shape& shape) { return {shape.begin(), shape.end()}; }

Attrs with_sizes(const Attrs& attrs, const char* name, const Shape& shape) {
  Attrs copy = attrs;
  copy.set(name, dims(shape));
  return copy;
}

Tensor run_first(const char* op, std::initializer_list<Tensor> inputs, const Attrs& attrs) {
  const std::vector<Tensor> list(inputs);
  return run_op(op, list, attrs)[0];
}

// ---- the ops ----

Tensors conv2d_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  expect_inputs("Conv2D", in, 2);
  Tensor xc, fc;
  const Tensor& x = float_view(in[0], xc);
  const Tensor& f = float_view(in[1], fc);
  return one_output(conv_forward(x, f, conv_shape(x.shape(), f.shape(), attrs, "Conv2D")));
}

Tensors conv2d_gradient(const GradientContext& ctx) {
  const Tensor& g = ctx.output_grads[0];
  if (!g.defined()) return {Tensor(), Tensor()};
  const Tensor& x = ctx.inputs[0];
  const Tensor& f = ctx.inputs[1];
  Tensor dx, df;
  if (ctx.wants(0))
    dx = run_first("Conv2DBackpropInput", {f, g}, with_sizes(ctx.attrs, "input_sizes", x.shape()));
  if (ctx.wants(1))
    df = run_first("Conv2DBackpropFilter", {x, g}, with_sizes(ctx.attrs, "filter_sizes", f.shape()));
  return {dx, df};
}

Tensors backprop_input_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  const char* op = "Conv2DBackpropInput";
  expect_inputs(op, in, 2);
  Tensor fc, gc;
  const Tensor& f = float_view(in[0], fc);
  const Tensor& dy = float_view(in[1], gc);
  const Shape input_shape = shape_attr(attrs, "input_sizes", 4, op);
  const ConvShape s = conv_shape(input_shape, f.shape(), attrs, op);
  expect_output_shape(s, dy, op);
  return one_output(conv_backprop_input(f, dy, s, input_shape));
}

Tensors backprop_input_gradient(const GradientContext& ctx) {
  // The op is linear in each input: its adjoints are the filter gradient and Conv2D itself.
  const Tensor& g = ctx.output_grads[0];
  if (!g.defined()) return {Tensor(), Tensor()};
  const Tensor& f = ctx.inputs[0];
  const Tensor& dy = ctx.inputs[1];
  return {run_first("Conv2DBackpropFilter", {g, dy},
                    with_sizes(ctx.attrs, "filter_sizes", f.shape())),
          run_first("Conv2D", {g, f}, ctx.attrs)};
}

Tensors backprop_filter_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  const char* op = "Conv2DBackpropFilter";
  expect_inputs(op, in, 2);
  Tensor xc, gc;
  const Tensor& x = float_view(in[0], xc);
  const Tensor& dy = float_view(in[1], gc);
  const ConvShape s = conv_shape(x.shape(), shape_attr(attrs, "filter_sizes", 4, op), attrs, op);
  expect_output_shape(s, dy, op);
  return one_output(conv_backprop_filter(x, dy, s));
}

Tensors backprop_filter_gradient(const GradientContext& ctx) {
  const Tensor& g = ctx.output_grads[0];
  if (!g.defined()) return {Tensor(), Tensor()};
  const Tensor& x = ctx.inputs[0];
  const Tensor& dy = ctx.inputs[1];
  return {run_first("Conv2DBackpropInput", {g, dy}, with_sizes(ctx.attrs, "input_sizes", x.shape())),
          run_first("Conv2D", {x, g}, ctx.attrs)};
}

// DepthwiseConv2dNative's [kh, kw, C, M] filter is a grouped Conv2D filter [kh, kw, 1, C*M]
// with one group per input channel (output channel c*M + m belongs to group c): a free reshape.
Shape grouped_filter_shape(const Tensor& f, const char* op) {
  if (f.rank() != 4)
    throw Error(std::string(op) + ": expected a filter of rank 4, got " + shape_str(f));
  return {f.dim(0), f.dim(1), 1, f.dim(2) * f.dim(3)};
}

Tensors depthwise_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  const char* op = "DepthwiseConv2dNative";
  expect_inputs(op, in, 2);
  Tensor xc, fc;
  const Tensor& x = float_view(in[0], xc);
  const Tensor f = float_view(in[1], fc).reshape(grouped_filter_shape(in[1], op));
  if (x.rank() == 4 && x.dim(3) != in[1].dim(2))
    throw Error(std::string(op) + ": filter " + shape_str(in[1]) + " does not match the " +
                std::to_string(x.dim(3)) + " input channels");
  return one_output(conv_forward(x, f, conv_shape(x.shape(), f.shape(), attrs, op)));
}

Tensors depthwise_gradient(const GradientContext& ctx) {
  const Tensor& g = ctx.output_grads[0];
  if (!g.defined()) return {Tensor(), Tensor()};
  const Tensor& x = ctx.inputs[0];
  const Tensor& f = ctx.inputs[1];
  const Shape grouped = grouped_filter_shape(f, "DepthwiseConv2dNative");
  Tensor dx, df;
  if (ctx.wants(0))
    dx = run_first("Conv2DBackpropInput", {ops::reshape(f, grouped), g},
                   with_sizes(ctx.attrs, "input_sizes", x.shape()));
  if (ctx.wants(1))
    df = ops::reshape(run_first("Conv2DBackpropFilter", {x, g}, with_sizes(ctx.attrs, "filter_sizes", grouped)),
                      f.shape());
  return {dx, df};
}

}  // namespace

std::vector<OpDef> conv_ops() {
  std::vector<OpDef> defs;
  defs.push_back(OpDef{"Conv2D", "Conv2D", conv2d_kernel, conv2d_gradient});
  defs.push_back(OpDef{"Conv2DBackpropInput", "Conv2DBackpropInput", backprop_input_kernel,
                       backprop_input_gradient});
  defs.push_back(OpDef{"Conv2DBackpropFilter", "Conv2DBackpropFilter", backprop_filter_kernel,
                       backprop_filter_gradient});
  defs.push_back(OpDef{"DepthwiseConv2dNative", "DepthwiseConv2dNative", depthwise_kernel,
                       depthwise_gradient});
  return defs;
}

}  // namespace ksave::detail
