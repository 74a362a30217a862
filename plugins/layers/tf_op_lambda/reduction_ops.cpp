// tf.math reductions (reduce_sum, reduce_mean, reduce_max, reduce_min, reduce_variance,
// reduce_std), argmax, and l2_normalize.
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

Tensors argmax(const OpArguments& a) {
  a.allow_only({"axis", "output_type"});
  Tensor index = ops::argmax(a.first().as_float(), a.get<std::int64_t>("axis", 0));
  return {ops::cast(index, parse_dtype(a.get<std::string>("output_type", "int64")))};
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
      {"math.argmax", argmax},
      {"math.l2_normalize", l2_normalize},
  };
}

}  // namespace ksave::plugins::tf_op
