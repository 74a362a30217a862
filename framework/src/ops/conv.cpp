// Conv2D (with groups), Conv2DBackpropInput, Conv2DBackpropFilter and DepthwiseConv2dNative, on
// NHWC inputs and HWIO filters, computed by oneDNN's convolution primitives (forward, backward
// data, backward weights). Activations are handed to oneDNN in place as NHWC; the filter is
// described with its HWIO strides and reordered into the layout the chosen implementation wants
// (a depthwise filter is the grouped case with one input channel per group).
#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <string>

#include "dnnl_support.hpp"
#include "epilogue.hpp"
#include "gradient_util.hpp"
#include "kernel_util.hpp"
#include "op_groups.hpp"
#include "reordered_weights.hpp"
#include "window_geometry.hpp"

namespace ksave::detail {

namespace {

using Index = std::int64_t;
using dnnl::memory;

struct ConvShape {
  WindowGeometry g;
  Index groups = 1, group_in = 0, out_channels = 0, group_out = 0;
  Shape output() const { return {g.batch, g.out_h, g.out_w, out_channels}; }
  Shape filter() const { return {g.k_h, g.k_w, group_in, out_channels}; }
  bool empty() const { return g.batch * g.out_h * g.out_w * out_channels == 0 || g.k_h * g.k_w * group_in == 0; }
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

// A 1x1, stride-1, unpadded, ungrouped convolution: on NHWC data, a matrix product.
bool pointwise(const ConvShape& s) {
  const WindowGeometry& g = s.g;
  return g.k_h == 1 && g.k_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_top == 0 && g.pad_left == 0 &&
         g.out_h == g.in_h && g.out_w == g.in_w && s.groups == 1;
}

// Checks that dy has the output shape the geometry gives.
void expect_output_shape(const ConvShape& s, const Tensor& dy, const char* op) {
  if (dy.shape() != s.output())
    throw Error(std::string(op) + ": out_backprop is " + shape_str(dy) + ", the convolution gives " +
                shape_to_string(s.output()));
}

// ---- oneDNN descriptions of the tensors as ksave stores them ----

// HWIO [kh][kw][i][o] with o = group * group_out + o'; oneDNN's dims are (o, i, kh, kw), or
// (g, o', i, kh, kw) with groups.
memory::desc hwio(const ConvShape& s) {
  const Index kh = s.g.k_h, kw = s.g.k_w, i = s.group_in, o = s.out_channels;
  if (s.groups == 1) return onednn::plain({o, i, kh, kw}, {1, o, kw * i * o, i * o});
  return onednn::plain({s.groups, s.group_out, i, kh, kw}, {s.group_out, 1, o, kw * i * o, i * o});
}

memory::desc any_weights(const ConvShape& s) {
  const Index kh = s.g.k_h, kw = s.g.k_w, i = s.group_in;
  if (s.groups == 1) return memory::desc({s.out_channels, i, kh, kw}, memory::data_type::f32, memory::format_tag::any);
  return memory::desc({s.groups, s.group_out, i, kh, kw}, memory::data_type::f32, memory::format_tag::any);
}

struct ConvDescs {
  memory::desc src, weights, dst;
  memory::dims strides, dilates, pad_l, pad_r;
};

ConvDescs describe(const ConvShape& s) {
  const WindowGeometry& g = s.g;
  return {onednn::nhwc(g.batch, g.channels, g.in_h, g.in_w),
          hwio(s),
          onednn::nhwc(g.batch, s.out_channels, g.out_h, g.out_w),
          {g.stride_h, g.stride_w},
          {g.dilation_h - 1, g.dilation_w - 1},  // oneDNN counts dilation from 0
          {g.pad_top, g.pad_left},
          {g.pad_bottom(), g.pad_right()}};
}

enum class Pass : std::int64_t { forward, backward_data, backward_weights };

onednn::PrimitiveKey key_of(const ConvShape& s, Pass pass, const Epilogue& epilogue) {
  const WindowGeometry& g = s.g;
  return {static_cast<std::int64_t>(pass), epilogue.key(), g.batch, g.in_h, g.in_w, g.channels, g.k_h, g.k_w, g.stride_h,
          g.stride_w, g.dilation_h, g.dilation_w, g.pad_top, g.pad_left, g.out_h, g.out_w, s.group_in,
          s.out_channels};
}

// The bias of a fused epilogue: one value per output channel.
memory::desc bias_desc(const ConvShape& s) { return onednn::plain({s.out_channels}, {1}); }

dnnl::convolution_forward::desc forward_desc(const ConvShape& s, const ConvDescs& d, dnnl::prop_kind prop,
                                             const Epilogue& epilogue) {
  const auto algorithm = dnnl::algorithm::convolution_direct;
  if (epilogue.bias)
    return {prop, algorithm, d.src, any_weights(s), bias_desc(s), d.dst, d.strides, d.dilates, d.pad_l, d.pad_r};
  return {prop, algorithm, d.src, any_weights(s), d.dst, d.strides, d.dilates, d.pad_l, d.pad_r};
}

dnnl::convolution_forward::primitive_desc forward_pd(const ConvShape& s, const ConvDescs& d, dnnl::prop_kind prop,
                                                     const Epilogue& epilogue = {}) {
  return {forward_desc(s, d, prop, epilogue), onednn::attributes(epilogue.post_ops()), onednn::engine()};
}

// oneDNN 2.6 ranks its brgemm convolutions first. On these shapes another of its implementations
// was measured faster at one thread on AVX-512 (ONEDNN_VERBOSE's execution times, issue 14), and
// is taken when oneDNN offers it; other shapes keep oneDNN's ranking:
// - one or few input channels (grayscale or RGB images: the CNN, 64x28x28x1 -> 16 3x3,
//   214-244 us against 408-416; MobileNetV2's stem, 224x224x3 -> 32 3x3 stride 2, 0.22 against
//   0.24-0.27 ms): the direct JIT convolution;
// - depthwise (one input and one output channel per group: MobileNetV2's 3x3 blocks): jit_dw,
//   5-25% faster than brdgmm_dw at batch 1 and 8 (112x112x32: 0.12 against 0.13-0.16 ms);
// - 1x1 with at most 16 output channels (MobileNetV2's first projection, 112x112x32 -> 16):
//   the direct JIT convolution, 0.08-0.09 against brgconv_1x1's 0.12-0.14 ms;
// - 1x1 with 17-31 output channels (more than one 16-wide vector, less than two: MobileNetV2's
//   56x56 projections to 24): jit_1x1, 0.09 against 0.10 ms (96 inputs) and 0.13-0.18 against
//   0.16-0.18 (144); with 32 outputs brgconv_1x1 stays ahead.
// The products are the same; only the order of each output's additions can differ.
const char* preferred_implementation(const ConvShape& s) {
  if (s.groups == 1 && s.g.channels <= 4) return "jit:";
  if (s.groups > 1 && s.group_in == 1 && s.group_out == 1) return "jit_dw:";
  if (s.groups == 1 && s.g.k_h == 1 && s.g.k_w == 1 && s.out_channels <= 16) return "jit:";
  if (s.groups == 1 && s.g.k_h == 1 && s.g.k_w == 1 && s.out_channels > 16 && s.out_channels < 32) return "jit_1x1:";
  return nullptr;
}

dnnl::convolution_forward::primitive_desc inference_pd(const ConvShape& s, const ConvDescs& d, const Epilogue& epilogue) {
  // The operation descriptor outlives the walk: oneDNN's iterator reads it on every step.
  const auto desc = forward_desc(s, d, dnnl::prop_kind::forward_inference, epilogue);
  dnnl::convolution_forward::primitive_desc pd(desc, onednn::attributes(epilogue.post_ops()), onednn::engine());
  const char* preferred = preferred_implementation(s);
  if (!preferred || std::string(pd.impl_info_str()).starts_with(preferred)) return pd;
  // next_impl() moves this descriptor itself along oneDNN's list.
  while (pd.next_impl())
    if (std::string(pd.impl_info_str()).starts_with(preferred)) return pd;
  return forward_pd(s, d, dnnl::prop_kind::forward_inference, epilogue);
}

// A primitive with the filter layout it wants and, when that is not HWIO, the reorder between.
struct ConvEntry {
  ConvDescs d;
  dnnl::primitive prim;
  memory::desc scratch, weights;  // weights: the primitive's layout
  memory::desc bias;              // a fused epilogue's (made here: a descriptor per call allocates)
  std::optional<dnnl::reorder> weights_reorder;
};

ConvEntry make_entry(const ConvShape& s, Pass pass, const Epilogue& epilogue) {
  ConvEntry e;
  e.d = describe(s);
  e.bias = bias_desc(s);
  if (pass == Pass::forward) {
    const auto pd = inference_pd(s, e.d, epilogue);
    e.prim = dnnl::convolution_forward(pd);
    e.scratch = pd.scratchpad_desc();
    e.weights = pd.weights_desc();
  } else if (pass == Pass::backward_data) {
    const auto hint = forward_pd(s, e.d, dnnl::prop_kind::forward_training);
    const dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, e.d.src, any_weights(s),
                                                     e.d.dst, e.d.strides, e.d.dilates, e.d.pad_l, e.d.pad_r);
    const dnnl::convolution_backward_data::primitive_desc pd(desc, onednn::attributes(), onednn::engine(), hint);
    e.prim = dnnl::convolution_backward_data(pd);
    e.scratch = pd.scratchpad_desc();
    e.weights = pd.weights_desc();
  } else {
    const auto hint = forward_pd(s, e.d, dnnl::prop_kind::forward_training);
    const dnnl::convolution_backward_weights::desc desc(dnnl::algorithm::convolution_direct, e.d.src,
                                                        any_weights(s), e.d.dst, e.d.strides, e.d.dilates,
                                                        e.d.pad_l, e.d.pad_r);
    const dnnl::convolution_backward_weights::primitive_desc pd(desc, onednn::attributes(), onednn::engine(),
                                                                hint);
    e.prim = dnnl::convolution_backward_weights(pd);
    e.scratch = pd.scratchpad_desc();
    e.weights = pd.diff_weights_desc();
  }
  // Forward and backward data read the filter (HWIO -> theirs); backward weights writes it.
  e.weights_reorder = pass == Pass::backward_weights ? onednn::reorder_between(e.weights, e.d.weights)
                                                     : onednn::reorder_between(e.d.weights, e.weights);
  return e;
}

const ConvEntry& entry(const ConvShape& s, Pass pass, const char* op, const Epilogue& epilogue = {}) {
  static onednn::PrimitiveCache<ConvEntry> cache;
  const WindowGeometry& g = s.g;
  const double flops = 2.0 * static_cast<double>(g.batch * g.out_h * g.out_w * s.out_channels) *
                       static_cast<double>(g.k_h * g.k_w * s.group_in);
  try {
    return cache.get(key_of(s, pass, epilogue), flops, [&] { return make_entry(s, pass, epilogue); });
  } catch (const dnnl::error& e) {
    onednn::fail(op, e);
  }
}

// The HWIO filter as the primitive reads it.
const void* filter_in_primitive_layout(const ConvEntry& e, const float* hwio_filter) {
  return onednn::in_layout(e.weights_reorder, e.d.weights, e.weights, hwio_filter, onednn::kWeightsSlot);
}

// The destination of a forward convolution: a new tensor, or with a sum epilogue the addend,
// whose values the primitive reads and overwrites.
Tensor forward_destination(const ConvShape& s, const Epilogue& epilogue, const Tensor& addend, const char* op) {
  if (!epilogue.sum) return make_float_output(s.output());
  if (addend.dtype() != DType::Float32 || addend.shape() != s.output())
    throw Error(std::string(op) + ": the tensor the output is added to is " + std::string(dtype_name(addend.dtype())) + " " +
                shape_str(addend) + ", expected float32 " + shape_to_string(s.output()));
  return addend;
}

Tensor conv_forward(const Tensor& x, const Tensor& filter, const ConvShape& s, const char* op,
                    const Epilogue& epilogue = {}, const Tensor& addend = {}) {
  if (s.empty()) {
    Tensor y = filled(DType::Float32, s.output(), 0.0);
    Epilogue before_sum = epilogue;
    before_sum.sum = false;
    before_sum.apply(y.data<float>(), y.size() / std::max<Index>(s.out_channels, 1), s.out_channels);
    if (!epilogue.sum) return y;
    Tensor sum = forward_destination(s, epilogue, addend, op);
    float* to = sum.data<float>();
    const float* from = y.data<float>();
    for (Index i = 0; i < sum.size(); ++i) to[i] += from[i];
    apply_activation(to, sum.size(), epilogue.after_sum);
    return sum;
  }
  Tensor y = forward_destination(s, epilogue, addend, op);
  if (pointwise(s) && residual_pointwise_conv(x.data<float>(), s.g.batch * s.g.in_h * s.g.in_w, filter, s.group_in,
                                              s.out_channels, y.data<float>(), epilogue))
    return y;
  const ConvEntry& e = entry(s, Pass::forward, op, epilogue);
  // At inference the filters are the same tensors call after call: reordered once per value.
  static onednn::ReorderedWeights reordered;
  std::shared_ptr<const Storage> kept;
  if (e.weights_reorder && !ops_observed()) kept = reordered.get(filter, *e.weights_reorder, e.d.weights, e.weights);
  const void* w = kept ? kept->data() : filter_in_primitive_layout(e, filter.data<float>());
  // On the stack, the bias last: a steady-state call allocates nothing here.
  const std::array<onednn::Arg, 4> args{{{DNNL_ARG_SRC, e.d.src, x.data<float>()},
                                         {DNNL_ARG_WEIGHTS, e.weights, w},
                                         {DNNL_ARG_DST, e.d.dst, y.data<float>()},
                                         {DNNL_ARG_BIAS, e.bias, epilogue.bias}}};
  onednn::run(e.prim, std::span(args).first(epilogue.bias ? 4 : 3), e.scratch);
  return y;
}

// ---- a 1x1 convolution with a depthwise convolution after it, in one primitive ----

// The depthwise convolution of `tail` on the (NHWC) output of `s`.
ConvShape depthwise_shape(const ConvShape& s, const DepthwiseTail& tail, const char* op) {
  const Tensor& f = *tail.filter;
  if (f.rank() != 4 || f.dim(2) != 1 || f.dim(3) != s.out_channels)
    throw Error(std::string(op) + ": the depthwise stage's filter is " + shape_str(f) + ", expected [kh, kw, 1, " +
                std::to_string(s.out_channels) + "]");
  ConvShape d;
  d.g.batch = s.g.batch;
  d.g.in_h = s.g.out_h;
  d.g.in_w = s.g.out_w;
  d.g.channels = s.out_channels;
  d.g.k_h = f.dim(0);
  d.g.k_w = f.dim(1);
  d.g.stride_h = d.g.stride_w = tail.stride;
  d.g.pad_top = tail.pad_top;
  d.g.pad_left = tail.pad_left;
  d.g.out_h = tail.out_h;
  d.g.out_w = tail.out_w;
  d.groups = d.out_channels = s.out_channels;
  d.group_in = d.group_out = 1;
  return d;
}

// The pair's primitive (oneDNN's depthwise post-op), when oneDNN fuses it with its jit_1x1 kernel;
// its other implementations (ref_fused_convolution: the two primitives in turn) were measured no
// faster than running the two convolutions, so `fused` is then false and they run one after the
// other. The fused primitive reads and writes oneDNN's blocked layout (nChw16c): with NHWC
// activations oneDNN 2.6.3's fused kernel gives wrong values (up to the clip, 6, off against the
// two convolutions; blocked: within 2e-6), so the input and output are reordered around it —
// two small passes where the expanded tensor between the two is never written.
struct FusedDepthwiseEntry {
  bool fused = false;
  ConvDescs d;                        // the 1x1's (NHWC)
  memory::desc dst, bias, scratch, weights;
  memory::desc blocked_src, blocked_dst;
  std::optional<dnnl::reorder> src_reorder, dst_reorder;
  memory::desc dw_hwio, dw_weights, dw_bias;
  dnnl::primitive prim;
  std::optional<dnnl::reorder> weights_reorder, dw_weights_reorder;
};

FusedDepthwiseEntry make_fused_depthwise(const ConvShape& s, const ConvShape& dw, const Epilogue& epilogue,
                                         FusedActivation dw_activation) {
  FusedDepthwiseEntry e;
  e.d = describe(s);
  e.bias = bias_desc(s);
  e.dst = describe(dw).dst;
  e.dw_hwio = hwio(dw);
  dnnl::post_ops post = epilogue.post_ops();
  post.append_dw(memory::data_type::f32, memory::data_type::f32, memory::data_type::f32, dw.g.k_h, dw.g.stride_h,
                 dw.g.pad_top, 0, {});
  append_activation(post, dw_activation);
  const auto blocked = [](Index n, Index c, Index h, Index w) {
    return memory::desc({n, c, h, w}, memory::data_type::f32, memory::format_tag::nChw16c);
  };
  ConvDescs blocked_d = e.d;
  blocked_d.src = blocked(s.g.batch, s.g.channels, s.g.in_h, s.g.in_w);
  blocked_d.dst = blocked(s.g.batch, s.out_channels, s.g.out_h, s.g.out_w);
  const auto desc = forward_desc(s, blocked_d, dnnl::prop_kind::forward_inference, epilogue);
  try {
    dnnl::convolution_forward::primitive_desc pd(desc, onednn::attributes(post), onednn::engine());
    while (!std::string(pd.impl_info_str()).starts_with("jit_1x1:"))
      if (!pd.next_impl()) return e;
    e.dw_weights = pd.query_md(dnnl::query::exec_arg_md, DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_WEIGHTS);
    e.dw_bias = pd.query_md(dnnl::query::exec_arg_md, DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_BIAS);
    e.blocked_src = pd.src_desc();
    e.blocked_dst = pd.dst_desc();
    if (e.blocked_dst.dims() != e.dst.dims() || e.dw_bias != onednn::plain({dw.out_channels}, {1}) ||
        dw.g.k_h != dw.g.k_w || dw.g.pad_top != dw.g.pad_left)
      return e;
    e.src_reorder = onednn::reorder_between(e.d.src, e.blocked_src);
    e.dst_reorder = onednn::reorder_between(e.blocked_dst, e.dst);
    e.prim = dnnl::convolution_forward(pd);
    e.scratch = pd.scratchpad_desc();
    e.weights = pd.weights_desc();
  } catch (const dnnl::error&) {
    return e;  // not a form oneDNN fuses
  }
  e.weights_reorder = onednn::reorder_between(e.d.weights, e.weights);
  e.dw_weights_reorder = onednn::reorder_between(e.dw_hwio, e.dw_weights);
  e.fused = true;
  return e;
}

const FusedDepthwiseEntry& fused_depthwise_entry(const ConvShape& s, const ConvShape& dw, const Epilogue& epilogue,
                                                 FusedActivation dw_activation, const char* op) {
  static onednn::PrimitiveCache<FusedDepthwiseEntry> cache;
  // Three values more (packed: the key stays within its inline capacity, no allocation per call).
  onednn::PrimitiveKey key = key_of(s, Pass::forward, epilogue);
  key.push_back(dw.g.k_h | dw.g.k_w << 8 | dw.g.stride_h << 16 | dw.g.pad_top << 24 | dw.g.pad_left << 32 |
                static_cast<Index>(dw_activation) << 40);
  key.push_back(dw.g.out_h);
  key.push_back(dw.g.out_w);
  const double flops = 2.0 * static_cast<double>(s.g.batch * s.g.out_h * s.g.out_w * s.out_channels) *
                       static_cast<double>(s.group_in + dw.g.k_h * dw.g.k_w);
  try {
    return cache.get(std::move(key), flops, [&] { return make_fused_depthwise(s, dw, epilogue, dw_activation); });
  } catch (const dnnl::error& e) {
    onednn::fail(op, e);
  }
}

// `weights` (laid out as `from`) as the primitive reads it: reordered once per value at inference.
const void* weights_in_layout(onednn::ReorderedWeights& kept_layouts, std::shared_ptr<const Storage>& kept,
                              const Tensor& weights, const std::optional<dnnl::reorder>& r, const memory::desc& from,
                              const memory::desc& to, int slot) {
  if (!r) return weights.data<float>();
  if (!ops_observed()) kept = kept_layouts.get(weights, *r, from, to);
  return kept ? kept->data() : onednn::in_layout(r, from, to, weights.data<float>(), slot);
}

Tensor conv_with_depthwise(const Tensor& x, const Tensor& filter, const ConvShape& s, const Epilogue& epilogue,
                           const DepthwiseTail& tail, const char* op) {
  const ConvShape dw = depthwise_shape(s, tail, op);
  const Epilogue dw_epilogue{tail.bias, tail.activation};
  const FusedDepthwiseEntry* e =
      s.empty() || dw.empty() ? nullptr : &fused_depthwise_entry(s, dw, epilogue, tail.activation, op);
  if (!e || !e->fused) return conv_forward(conv_forward(x, filter, s, op, epilogue), *tail.filter, dw, op, dw_epilogue);
  Tensor y = make_float_output(dw.output());
  static onednn::ReorderedWeights reordered, reordered_depthwise;
  std::shared_ptr<const Storage> kept, kept_depthwise;
  const void* w = weights_in_layout(reordered, kept, filter, e->weights_reorder, e->d.weights, e->weights,
                                    onednn::kWeightsSlot);
  const void* dw_w = weights_in_layout(reordered_depthwise, kept_depthwise, *tail.filter, e->dw_weights_reorder,
                                       e->dw_hwio, e->dw_weights, onednn::kRecurrentSlot);
  const void* src = onednn::in_layout(e->src_reorder, e->d.src, e->blocked_src, x.data<float>(), onednn::kSequenceSlot);
  float* blocked_y = e->dst_reorder ? onednn::thread_buffer(onednn::kGradientSlot, e->blocked_dst.get_size() / sizeof(float))
                                    : y.data<float>();
  // On the stack, the bias last: a steady-state call allocates nothing here.
  const std::array<onednn::Arg, 6> args{{{DNNL_ARG_SRC, e->blocked_src, src},
                                         {DNNL_ARG_WEIGHTS, e->weights, w},
                                         {DNNL_ARG_DST, e->blocked_dst, blocked_y},
                                         {DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_WEIGHTS, e->dw_weights, dw_w},
                                         {DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_BIAS, e->dw_bias, tail.bias},
                                         {DNNL_ARG_BIAS, e->bias, epilogue.bias}}};
  onednn::run(e->prim, std::span(args).first(epilogue.bias ? 6 : 5), e->scratch);
  if (e->dst_reorder) onednn::reorder(*e->dst_reorder, e->blocked_dst, blocked_y, e->dst, y.data<float>());
  return y;
}

Tensor conv_backprop_input(const Tensor& filter, const Tensor& dy, const ConvShape& s,
                           const Shape& input_shape, const char* op) {
  if (s.empty()) return filled(DType::Float32, input_shape, 0.0);
  Tensor dx = make_float_output(input_shape);
  const ConvEntry& e = entry(s, Pass::backward_data, op);
  const void* w = filter_in_primitive_layout(e, filter.data<float>());
  onednn::run(e.prim,
              {{DNNL_ARG_DIFF_SRC, e.d.src, dx.data<float>()}, {DNNL_ARG_WEIGHTS, e.weights, w},
               {DNNL_ARG_DIFF_DST, e.d.dst, dy.data<float>()}},
              e.scratch);
  return dx;
}

Tensor conv_backprop_filter(const Tensor& x, const Tensor& dy, const ConvShape& s, const char* op) {
  if (s.empty()) return filled(DType::Float32, s.filter(), 0.0);
  Tensor dw = make_float_output(s.filter());
  const ConvEntry& e = entry(s, Pass::backward_weights, op);
  float* target = e.weights_reorder
                      ? onednn::thread_buffer(onednn::kGradientSlot, e.weights.get_size() / sizeof(float))
                      : dw.data<float>();
  onednn::run(e.prim,
              {{DNNL_ARG_SRC, e.d.src, x.data<float>()}, {DNNL_ARG_DIFF_WEIGHTS, e.weights, target},
               {DNNL_ARG_DIFF_DST, e.d.dst, dy.data<float>()}},
              e.scratch);
  if (e.weights_reorder) onednn::reorder(*e.weights_reorder, e.weights, target, e.d.weights, dw.data<float>());
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
  return one_output(conv_forward(x, f, conv_shape(x.shape(), f.shape(), attrs, "Conv2D"), "Conv2D"));
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
  return one_output(conv_backprop_input(f, dy, s, input_shape, op));
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
  return one_output(conv_backprop_filter(x, dy, s, op));
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
  return one_output(conv_forward(x, f, conv_shape(x.shape(), f.shape(), attrs, op), op));
}

// The input gradient of a stride-1 depthwise convolution with one output per channel is itself a
// depthwise convolution: dy correlated with the filter turned half a circle, padded by what the
// window reaches past the forward's own padding on each side. oneDNN's forward depthwise kernel
// runs it 1.5-4x faster than its backward-data kernel on MobileNetV2's shapes (3x3, 7x7 to
// 112x112, batch 8), so a training step spends less in it; the taps are added in another order.
// Nothing when it does not apply (a stride, a depth multiplier, or something records the
// gradient's own ops: the turned filter is computed off the tape).
std::optional<Tensor> depthwise_backprop_input_as_forward(const Tensor& f, const Tensor& g, const Shape& input_shape,
                                                          const Attrs& attrs) {
  const char* op = "DepthwiseConv2dNative";
  if (ops_recorded() || f.rank() != 4 || f.dim(3) != 1 || f.dtype() != DType::Float32 || g.dtype() != DType::Float32)
    return std::nullopt;
  const ConvShape forward = conv_shape(input_shape, grouped_filter_shape(f, op), attrs, op);
  const WindowGeometry& w = forward.g;
  if (forward.empty() || w.stride_h != 1 || w.stride_w != 1 || g.shape() != forward.output()) return std::nullopt;
  const Index reach_h = (w.k_h - 1) * w.dilation_h, reach_w = (w.k_w - 1) * w.dilation_w;
  if (w.pad_top > reach_h || w.pad_bottom() > reach_h || w.pad_left > reach_w || w.pad_right() > reach_w)
    return std::nullopt;
  ConvShape backward = forward;
  backward.g.in_h = w.out_h;
  backward.g.in_w = w.out_w;
  backward.g.out_h = w.in_h;
  backward.g.out_w = w.in_w;
  backward.g.pad_top = reach_h - w.pad_top;
  backward.g.pad_left = reach_w - w.pad_left;
  Tensor turned = make_float_output(f.shape());
  const Index channels = f.dim(2);
  const float* from = f.data<float>();
  float* to = turned.data<float>();
  for (Index i = 0; i < w.k_h; ++i)
    for (Index j = 0; j < w.k_w; ++j)
      std::copy_n(from + ((w.k_h - 1 - i) * w.k_w + (w.k_w - 1 - j)) * channels, channels,
                  to + (i * w.k_w + j) * channels);
  return conv_forward(g, turned.reshape(grouped_filter_shape(f, op)), backward, op);
}

Tensors depthwise_gradient(const GradientContext& ctx) {
  const Tensor& g = ctx.output_grads[0];
  if (!g.defined()) return {Tensor(), Tensor()};
  const Tensor& x = ctx.inputs[0];
  const Tensor& f = ctx.inputs[1];
  const Shape grouped = grouped_filter_shape(f, "DepthwiseConv2dNative");
  Tensor dx, df;
  if (ctx.wants(0)) {
    if (std::optional<Tensor> direct = depthwise_backprop_input_as_forward(f, g, x.shape(), ctx.attrs))
      dx = std::move(*direct);
    else
      dx = run_first("Conv2DBackpropInput", {ops::reshape(f, grouped), g},
                     with_sizes(ctx.attrs, "input_sizes", x.shape()));
  }
  if (ctx.wants(1))
    df = ops::reshape(run_first("Conv2DBackpropFilter", {x, g}, with_sizes(ctx.attrs, "filter_sizes", grouped)),
                      f.shape());
  return {dx, df};
}

}  // namespace

Tensor conv2d_with_epilogue(const Tensor& x, const Tensor& filter, const Attrs& attrs, const Epilogue& epilogue,
                            const char* op, const Tensor& addend) {
  const ConvShape s = conv_shape(x.shape(), filter.shape(), attrs, op);
  return conv_forward(x, filter, s, op, epilogue, addend);
}

Tensor conv2d_with_depthwise(const Tensor& x, const Tensor& filter, const Attrs& attrs, const Epilogue& epilogue,
                             const DepthwiseTail& tail, const char* op) {
  return conv_with_depthwise(x, filter, conv_shape(x.shape(), filter.shape(), attrs, op), epilogue, tail, op);
}

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
