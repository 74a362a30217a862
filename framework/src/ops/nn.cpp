// Softmax, LogSoftmax (any axis, numerically stable) and BiasAdd.
#include <vector>

#include <Eigen/Core>

#include "elementwise.hpp"
#include "gradient_util.hpp"
#include "kernel_util.hpp"
#include "op_groups.hpp"

namespace ksave::detail {

namespace {

using Index = Eigen::Index;
using RowArray = Eigen::Array<float, 1, Eigen::Dynamic>;

// (Log-)softmax down the columns of an n x m block: n is the softmax axis, m independent
// positions. Subtracting the column maximum first keeps exp() from overflowing on large logits.
// The storage order lets one routine serve both layouts: the last axis of a row-major
// (outer, n) tensor is a column-major n x outer block; any other axis is, per outer index, a
// row-major n x inner block.
// The column maxima and sums live in this thread's buffer, kept between calls (an Eigen
// RowArray would allocate them on every call).
template <int Order>
void softmax_block(const float* x, float* y, Index n, Index m, bool log) {
  using Block = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Order>;
  thread_local std::vector<float> scratch;
  if (scratch.size() < static_cast<std::size_t>(m)) scratch.resize(static_cast<std::size_t>(m));
  Eigen::Map<const Block> in(x, n, m);
  Eigen::Map<Block> out(y, n, m);
  Eigen::Map<RowArray> column(scratch.data(), m);
  column = in.colwise().maxCoeff();
  out = in.rowwise() - column;
  // Column sums go to the buffer: dividing `out` by a lazy expression of `out` would alias.
  if (log) {
    column = out.exp().colwise().sum().log();
    out.rowwise() -= column;
  } else {
    out = out.exp();
    column = out.colwise().sum();
    out.rowwise() /= column;
  }
}

Tensor softmax_kernel(const Tensor& input, std::int64_t axis_attr, bool log, const char* op) {
  Tensor converted;
  const Tensor& x = float_view(input, converted);
  if (x.rank() == 0)
    throw Error(std::string(op) + ": expected a tensor of rank >= 1, got a scalar");
  const int axis = normalize_axis(axis_attr, x.rank(), x.shape(), op);
  const Index n = x.dim(axis);
  const Index outer = product(x.shape(), 0, axis);
  const Index inner = product(x.shape(), axis + 1, x.rank());
  Tensor y = make_float_output(x.shape());
  if (x.size() == 0) return y;
  const float* in = x.data<float>();
  float* out = y.data<float>();
  if (inner == 1) {
    softmax_block<Eigen::ColMajor>(in, out, n, outer, log);
  } else {
    for (Index o = 0; o < outer; ++o)
      softmax_block<Eigen::RowMajor>(in + o * n * inner, out + o * n * inner, n, inner, log);
  }
  return y;
}

OpDef softmax_op(const char* name, bool log, GradientFn gradient) {
  Kernel kernel = [name, log](std::span<const Tensor> in, const Attrs& attrs) -> Tensors {
    expect_inputs(name, in, 1);
    return one_output(
        softmax_kernel(in[0], attr_or<std::int64_t>(attrs, "axis", -1, name), log, name));
  };
  return OpDef{name, name, std::move(kernel), std::move(gradient)};
}

std::vector<std::int64_t> softmax_axis(const Attrs& attrs, const char* op) {
  return {attr_or<std::int64_t>(attrs, "axis", -1, op)};
}

// The channel axis BiasAdd adds along: the last one (NHWC) or axis 1 (NCHW).
int bias_axis(const Tensor& x, const Tensor& bias, const Attrs& attrs) {
  const std::string format = attr_or<std::string>(attrs, "data_format", "NHWC", "BiasAdd");
  if (format != "NHWC" && format != "NCHW")
    throw Error("BiasAdd: data_format must be NHWC or NCHW, got '" + format + "'");
  const int axis = format == "NHWC" ? x.rank() - 1 : 1;
  if (bias.rank() != 1 || x.rank() < (format == "NHWC" ? 1 : 2) || x.dim(axis) != bias.dim(0))
    throw Error("BiasAdd: bias " + shape_str(bias) + " does not match the channel axis of x " +
                shape_str(x) + " (" + format + ")");
  return axis;
}

Tensors bias_add_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  expect_inputs("BiasAdd", in, 2);
  Tensor x_converted, bias_converted;
  const Tensor& x = float_view(in[0], x_converted);
  const Tensor& bias = float_view(in[1], bias_converted);
  const int axis = bias_axis(x, bias, attrs);
  if (axis == x.rank() - 1) {
    // Channels last: every row of the (rows x C) view gets the bias added.
    using Rows = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Index c = bias.size();
    const Index rows = c == 0 ? 0 : x.size() / c;
    Tensor y = make_float_output(x.shape());
    Eigen::Map<Rows> out(y.data<float>(), rows, c);
    out = Eigen::Map<const Rows>(x.data<float>(), rows, c).rowwise() +
          Eigen::Map<const RowArray>(bias.data<float>(), c);
    return one_output(std::move(y));
  }
  // Channels first: broadcast the bias as (C, 1, ..., 1).
  Shape shape(static_cast<std::size_t>(x.rank() - axis), 1);
  shape[0] = bias.size();
  const Tensor operands[] = {x, bias.reshape(shape)};
  return one_output(broadcast_map<2>(operands, "BiasAdd",
                                     [](ArrayMap& y, const auto& a, const auto& b) { y = a + b; }));
}

Tensors bias_add_gradient(const GradientContext& ctx) {
  const Tensor& g = ctx.output_grads[0];
  if (!g.defined()) return {Tensor(), Tensor()};
  const int axis = bias_axis(ctx.inputs[0], ctx.inputs[1], ctx.attrs);
  std::vector<std::int64_t> others;
  for (int i = 0; i < g.rank(); ++i)
    if (i != axis) others.push_back(i);
  return {g, others.empty() ? g : ops::sum(g, others)};
}

}  // namespace

std::vector<OpDef> nn_ops() {
  std::vector<OpDef> defs;
  defs.push_back(softmax_op("Softmax", false, [](const GradientContext& ctx) -> Tensors {
    // dx = y * (g - sum(g * y)) along the axis
    const Tensor& g = ctx.output_grads[0];
    if (!g.defined()) return {Tensor()};
    const Tensor& y = ctx.outputs[0];
    const Tensor dot = ops::sum(ops::mul(g, y), softmax_axis(ctx.attrs, "Softmax"), true);
    return {ops::mul(y, ops::sub(g, dot))};
  }));
  defs.push_back(softmax_op("LogSoftmax", true, [](const GradientContext& ctx) -> Tensors {
    // dx = g - softmax(x) * sum(g) along the axis; softmax(x) = exp(y)
    const Tensor& g = ctx.output_grads[0];
    if (!g.defined()) return {Tensor()};
    const Tensor total = ops::sum(g, softmax_axis(ctx.attrs, "LogSoftmax"), true);
    return {ops::sub(g, ops::mul(ops::exp(ctx.outputs[0]), total))};
  }));
  defs.push_back(OpDef{"BiasAdd", "BiasAdd", bias_add_kernel, bias_add_gradient});
  return defs;
}

}  // namespace ksave::detail
