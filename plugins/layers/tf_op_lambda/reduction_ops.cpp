// tf.math reductions (reduce_sum, reduce_mean, reduce_max, reduce_min, reduce_variance,
// reduce_std), argmax, argmin, cumsum and l2_normalize.
#include <numeric>

#include "ksave/ops.hpp"
#include "op_table.hpp"

namespace ksave::plugins::tf_op {
namespace {

using Reduce = Tensor (*)(const Tensor&, std::vector<std::int64_t>, bool);

struct ReduceArgs {
  std::vector<std::int64_t> axes;  // empty: every axis
  bool keepdims = false;
};

ReduceArgs reduce_args(const OpArguments& a) {
  a.allow_only({"axis", "keepdims"});
  return {a.ints("axis").value_or(std::vector<std::int64_t>{}), a.get<bool>("keepdims", false)};
}

template <Reduce F>
Tensors reduce(const OpArguments& a) {
  ReduceArgs r = reduce_args(a);
  return {F(a.first().as_float(), r.axes, r.keepdims)};
}

// Population variance, as tf.math.reduce_variance.
Tensor variance(const Tensor& x, const ReduceArgs& r) {
  Tensor centered = ops::sub(x, ops::mean(x, r.axes, true));
  return ops::mean(ops::square(centered), r.axes, r.keepdims);
}

Tensors reduce_variance(const OpArguments& a) { return {variance(a.first().as_float(), reduce_args(a))}; }
Tensors reduce_std(const OpArguments& a) { return {ops::sqrt(variance(a.first().as_float(), reduce_args(a)))}; }

// tf.math.argmax, and argmin as the argmax of -x (the first index of the smallest value either way).
template <bool kSmallest>
Tensors arg_reduction(const OpArguments& a) {
  a.allow_only({"axis", "output_type"});
  const Tensor x = a.first().as_float();
  Tensor index = ops::argmax(kSmallest ? ops::neg(x) : x, a.get<std::int64_t>("axis", 0));
  return {ops::cast(index, parse_dtype(a.get<std::string>("output_type", "int64")))};
}

// tf.math.cumsum as a product with a triangle of ones over the axis (moved last): entry (i, j) is
// 1 where position i adds into j (i <= j; i < j exclusive; the other way round reversed), so
// gradients come from the product's.
Tensors cumsum(const OpArguments& a) {
  a.allow_only({"axis", "exclusive", "reverse"});
  const Tensor x = a.first().as_float();
  if (x.rank() == 0) throw Error(a.object() + ": cumsum needs a tensor of rank >= 1");
  std::int64_t axis = a.get<std::int64_t>("axis", 0);
  if (axis < -x.rank() || axis >= x.rank())
    throw Error(a.object() + ": axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(x.rank()));
  if (axis < 0) axis += x.rank();
  const bool exclusive = a.get<bool>("exclusive", false), reverse = a.get<bool>("reverse", false);
  std::vector<std::int64_t> perm(static_cast<std::size_t>(x.rank()));
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[static_cast<std::size_t>(axis)], perm.back());  // a swap is its own inverse
  const Dim n = x.dim(static_cast<int>(axis));
  std::vector<float> triangle(static_cast<std::size_t>(n * n), 0.0f);
  for (Dim i = 0; i < n; ++i)
    for (Dim j = 0; j < n; ++j) {
      const bool adds = reverse ? (exclusive ? i > j : i >= j) : (exclusive ? i < j : i <= j);
      triangle[static_cast<std::size_t>(i * n + j)] = adds ? 1.0f : 0.0f;
    }
  const Tensor moved = ops::transpose(x, perm);
  const Tensor summed = ops::matmul(moved, Tensor::from_vector<float>(triangle, {n, n}));
  return {ops::transpose(summed, perm)};
}

// x / sqrt(max(sum(x^2, axis), epsilon)).
Tensors l2_normalize(const OpArguments& a) {
  a.allow_only({"axis", "epsilon", "dim"});
  const Tensor x = a.first().as_float();
  auto axes = a.ints("axis");
  if (!axes) axes = a.ints("dim");
  Tensor squares = ops::sum(ops::square(x), axes.value_or(std::vector<std::int64_t>{}), true);
  Tensor floor = ops::constant(a.get<double>("epsilon", 1e-12));
  return {ops::mul(x, ops::rsqrt(ops::maximum(squares, floor)))};
}

}  // namespace

std::vector<OpEntry> reduction_ops() {
  return {
      {"math.reduce_sum", reduce<ops::sum>},
      {"math.reduce_mean", reduce<ops::mean>},
      {"math.reduce_max", reduce<ops::max>},
      {"math.reduce_min", reduce<ops::min>},
      {"math.reduce_variance", reduce_variance},
      {"math.reduce_std", reduce_std},
      {"math.argmax", arg_reduction<false>},
      {"math.argmin", arg_reduction<true>},
      {"math.cumsum", cumsum},
      {"math.l2_normalize", l2_normalize},
  };
}

}  // namespace ksave::plugins::tf_op
