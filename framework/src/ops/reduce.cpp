// Reductions over axes (Sum, Mean, Max, Min), ArgMax and the internal SumToShape.
//
// A reduction is a broadcast run backwards: the kept-dims result broadcasts over the input, so
// the broadcast plan of (input shape, kept shape) yields runs where the accumulator's stride is
// 1 (the run lies along kept axes: combine elementwise) or 0 (the run lies along reduced axes:
// reduce the run, then combine one value). Both are single vectorised Eigen calls.
#include <Eigen/Core>
#include <algorithm>
#include <limits>

#include "broadcast.hpp"
#include "gradient_util.hpp"
#include "kernel_util.hpp"
#include "op_groups.hpp"

namespace ksave::detail {

namespace {

using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;
using ArrayMap = Eigen::Map<Eigen::ArrayXf>;

struct SumReducer {
  static constexpr float init = 0.0f;
  static void combine(ArrayMap acc, ConstArrayMap x) { acc += x; }
  static void combine_run(float& acc, ConstArrayMap x) { acc += x.sum(); }
};
struct MaxReducer {
  static constexpr float init = -std::numeric_limits<float>::infinity();
  static void combine(ArrayMap acc, ConstArrayMap x) { acc = acc.max(x); }
  static void combine_run(float& acc, ConstArrayMap x) { acc = std::max(acc, x.maxCoeff()); }
};
struct MinReducer {
  static constexpr float init = std::numeric_limits<float>::infinity();
  static void combine(ArrayMap acc, ConstArrayMap x) { acc = acc.min(x); }
  static void combine_run(float& acc, ConstArrayMap x) { acc = std::min(acc, x.minCoeff()); }
};

// Which axes a reduction removes, and the shapes on either side.
struct ReductionShape {
  Shape kept;  // input shape with reduced axes set to 1
  Shape out;   // the result's shape (kept, or kept without the reduced axes)
  std::vector<std::int64_t> multiples;  // input dim on reduced axes, 1 elsewhere (for Tile)
  std::int64_t count = 1;               // elements folded into each result element
};

ReductionShape reduction_shape(const Shape& in, const Attrs& attrs, std::string_view op) {
  const std::vector<int> axes =
      normalize_axes(attr_or<std::vector<std::int64_t>>(attrs, "axis", {}, op), in, op);
  const bool keep = attr_or<bool>(attrs, "keep_dims", false, op);
  ReductionShape r;
  r.kept = in;
  r.multiples.assign(in.size(), 1);
  std::vector<bool> reduced(in.size(), false);
  for (int a : axes) {
    const auto i = static_cast<std::size_t>(a);
    reduced[i] = true;
    r.count *= in[i];
    r.multiples[i] = in[i];
    r.kept[i] = 1;
  }
  for (std::size_t i = 0; i < in.size(); ++i)
    if (keep || !reduced[i]) r.out.push_back(r.kept[i]);
  return r;
}

template <typename Reducer>
Tensor reduce(const Tensor& input, const ReductionShape& r, std::string_view op) {
  Tensor converted;
  const Tensor& x = float_view(input, converted);
  Tensor out = make_float_output(r.out);
  float* acc = out.data<float>();
  std::fill(acc, acc + out.size(), Reducer::init);
  const float* in = x.data<float>();
  const BroadcastPlan plan = plan_broadcast(x.shape(), r.kept, op);
  for_each_run(plan, [&](std::int64_t, const Offsets& off, std::int64_t n, const Offsets& s) {
    const ConstArrayMap run(in + off[0], n);
    if (s[1] == 1)
      Reducer::combine(ArrayMap(acc + off[1], n), run);
    else
      Reducer::combine_run(acc[off[1]], run);
  });
  return out;
}

template <typename Reducer>
OpDef reduction_op(const char* name, bool mean, GradientFn gradient) {
  Kernel kernel = [name, mean](std::span<const Tensor> in, const Attrs& attrs) -> Tensors {
    expect_inputs(name, in, 1);
    const ReductionShape r = reduction_shape(in[0].shape(), attrs, name);
    Tensor out = reduce<Reducer>(in[0], r, name);
    if (mean && r.count > 0) {
      ArrayMap values(out.data<float>(), out.size());
      values *= 1.0f / static_cast<float>(r.count);
    } else if (mean) {
      ArrayMap(out.data<float>(), out.size()).setConstant(std::numeric_limits<float>::quiet_NaN());
    }
    return one_output(std::move(out));
  };
  return OpDef{name, name, std::move(kernel), std::move(gradient)};
}

// Sum/Mean: every input element receives its result element's gradient (scaled for Mean).
GradientFn spread_gradient(const char* name, bool mean) {
  return [name, mean](const GradientContext& ctx) -> Tensors {
    const Tensor& g = ctx.output_grads[0];
    if (!g.defined()) return {Tensor()};
    const ReductionShape r = reduction_shape(ctx.inputs[0].shape(), ctx.attrs, name);
    Tensor dx = ops::tile(ops::reshape(g, r.kept), r.multiples);
    if (mean && r.count > 0) dx = ops::mul(dx, 1.0 / static_cast<double>(r.count));
    return {dx};
  };
}

// Max/Min: the gradient goes to the elements equal to the result, split evenly between ties
// (TensorFlow's rule).
GradientFn extremum_gradient(const char* name) {
  return [name](const GradientContext& ctx) -> Tensors {
    const Tensor& g = ctx.output_grads[0];
    if (!g.defined()) return {Tensor()};
    const ReductionShape r = reduction_shape(ctx.inputs[0].shape(), ctx.attrs, name);
    const Tensor hits = ops::equal(ctx.inputs[0], ops::reshape(ctx.outputs[0], r.kept));
    const Tensor ties =
        ops::sum(hits, ctx.attrs.get_or<std::vector<std::int64_t>>("axis", {}), true);
    return {ops::mul(ops::div(hits, ties), ops::reshape(g, r.kept))};
  };
}

Tensor argmax_kernel(const Tensor& input, std::int64_t axis_attr) {
  Tensor converted;
  const Tensor& x = float_view(input, converted);
  const int axis = normalize_axis(axis_attr, x.rank(), x.shape(), "ArgMax");
  const std::int64_t n = x.dim(axis);
  if (n == 0)
    throw Error("ArgMax: cannot reduce the empty axis " + std::to_string(axis_attr) + " of shape " +
                shape_str(x));
  const std::int64_t outer = product(x.shape(), 0, axis);
  const std::int64_t inner = product(x.shape(), axis + 1, x.rank());
  Shape out_shape = x.shape();
  out_shape.erase(out_shape.begin() + axis);
  Tensor out = Tensor::for_overwrite(DType::Int64, out_shape);
  const float* in = x.data<float>();
  std::int64_t* idx = out.data<std::int64_t>();
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t i = 0; i < inner; ++i) {
      const float* p = in + o * n * inner + i;
      std::int64_t best = 0;
      for (std::int64_t k = 1; k < n; ++k)
        if (p[k * inner] > p[best * inner]) best = k;  // first maximum wins, as in TensorFlow
      idx[o * inner + i] = best;
    }
  }
  return out;
}

// SumToShape: sums `x` down to a shape it was broadcast from (leading axes dropped, size-1 axes
// kept), which is how gradients undo broadcasting.
ReductionShape sum_to_shape(const Shape& in, const Attrs& attrs) {
  const auto& target = attr<std::vector<std::int64_t>>(attrs, "shape", "SumToShape");
  ReductionShape r;
  r.out = Shape(target.begin(), target.end());
  bool valid = target.size() <= in.size();
  const std::size_t pad = valid ? in.size() - target.size() : 0;
  r.kept.assign(pad, 1);
  r.kept.insert(r.kept.end(), target.begin(), target.end());
  for (std::size_t i = 0; valid && i < in.size(); ++i) {
    valid = r.kept[i] == in[i] || r.kept[i] == 1;
    r.multiples.push_back(r.kept[i] == in[i] ? 1 : in[i]);
    r.count *= r.multiples.back();
  }
  if (!valid)
    throw Error("SumToShape: cannot sum " + shape_to_string(in) + " down to " +
                shape_to_string(r.out) + ": the target is not a broadcast source of the input");
  return r;
}

Tensors sum_to_shape_kernel(std::span<const Tensor> in, const Attrs& attrs) {
  expect_inputs("SumToShape", in, 1);
  const ReductionShape r = sum_to_shape(in[0].shape(), attrs);
  if (r.out == in[0].shape()) return one_output(in[0].as_float());
  return one_output(reduce<SumReducer>(in[0], r, "SumToShape"));
}

Tensors sum_to_shape_gradient(const GradientContext& ctx) {
  // Broadcast g back over the summed axes.
  const Tensor& g = ctx.output_grads[0];
  if (!g.defined()) return {Tensor()};
  const ReductionShape r = sum_to_shape(ctx.inputs[0].shape(), ctx.attrs);
  return {ops::tile(ops::reshape(g, r.kept), r.multiples)};
}

}  // namespace

std::vector<OpDef> reduce_ops() {
  std::vector<OpDef> defs;
  defs.push_back(reduction_op<SumReducer>("Sum", false, spread_gradient("Sum", false)));
  defs.push_back(reduction_op<SumReducer>("Mean", true, spread_gradient("Mean", true)));
  defs.push_back(reduction_op<MaxReducer>("Max", false, extremum_gradient("Max")));
  defs.push_back(reduction_op<MinReducer>("Min", false, extremum_gradient("Min")));
  defs.push_back(OpDef{"ArgMax", "ArgMax",
                       [](std::span<const Tensor> in, const Attrs& attrs) -> Tensors {
                         expect_inputs("ArgMax", in, 1);
                         return one_output(argmax_kernel(
                             in[0], attr_or<std::int64_t>(attrs, "axis", -1, "ArgMax")));
                       },
                       nullptr});
  defs.push_back(OpDef{"SumToShape", "SumToShape", sum_to_shape_kernel, sum_to_shape_gradient});
  return defs;
}

}  // namespace ksave::detail
