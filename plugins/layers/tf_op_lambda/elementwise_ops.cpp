// Elementwise TensorFlow functions: tf.math unary and binary ops, tf.nn activations, the Python
// operators tf.keras records (`x + y` is "__operators__.add", `x * y` "math.multiply"), clipping,
// comparisons and tf.where.
#include <cmath>

#include "ksave/ops.hpp"
#include "op_table.hpp"

namespace ksave::plugins::tf_op {
namespace {

template <Tensor (*F)(const Tensor&)>
Tensors unary(const OpArguments& a) {
  a.allow_only({});
  return {F(a.first().as_float())};
}

template <Tensor (*F)(const Tensor&, const Tensor&)>
Tensors binary(const OpArguments& a) {
  a.allow_only({"y"});
  return {F(a.first().as_float(), a.tensor("y").as_float())};
}

Tensor reciprocal(const Tensor& x) { return ops::div(ops::constant(1.0), x); }
Tensor relu6(const Tensor& x) { return ops::clip(x, 0.0, 6.0); }
// Keras 3's hard_sigmoid, relu6(x + 3) / 6, and hard_silu, x times it (its TensorFlow backend's).
Tensor hard_sigmoid(const Tensor& x) { return ops::div(relu6(ops::add(x, 3.0)), ops::constant(6.0)); }
Tensor hard_silu(const Tensor& x) { return ops::mul(x, hard_sigmoid(x)); }
// log(sigmoid(x)) as -softplus(-x), which stays finite for large |x| (as tf.math.log_sigmoid).
Tensor log_sigmoid(const Tensor& x) { return ops::neg(ops::softplus(ops::neg(x))); }

Tensors swish(const OpArguments& a) {
  a.allow_only({"beta"});
  const Tensor x = a.first().as_float();
  return {ops::mul(x, ops::sigmoid(ops::mul(x, a.get<double>("beta", 1.0))))};
}

// tf.nn.gelu: the erf form, or the tanh approximation with approximate=True.
Tensors gelu(const OpArguments& a) {
  a.allow_only({"approximate"});
  const Tensor x = a.first().as_float();
  if (a.get<bool>("approximate", false)) {
    const double c = std::sqrt(2.0 / M_PI);
    Tensor inner = ops::mul(ops::add(x, ops::mul(ops::mul(ops::square(x), x), 0.044715)), c);
    return {ops::mul(ops::mul(x, 0.5), ops::add(ops::tanh(inner), 1.0))};
  }
  return {ops::mul(ops::mul(x, 0.5), ops::add(ops::erf(ops::mul(x, 1.0 / std::sqrt(2.0))), 1.0))};
}

Tensors leaky_relu(const OpArguments& a) {
  a.allow_only({"alpha"});
  return {ops::leaky_relu(a.first().as_float(), a.get<double>("alpha", 0.2))};
}

template <Tensor (*F)(const Tensor&, std::int64_t)>
Tensors softmax_like(const OpArguments& a) {
  a.allow_only({"axis", "dim"});
  std::int64_t axis = a.get<std::int64_t>("axis", a.get<std::int64_t>("dim", -1));
  return {F(a.first().as_float(), axis)};
}

Tensors clip_by_value(const OpArguments& a) {
  a.allow_only({"clip_value_min", "clip_value_max"});
  return {ops::minimum(ops::maximum(a.first().as_float(), a.tensor("clip_value_min").as_float()),
                       a.tensor("clip_value_max").as_float())};
}

// Comparisons give TensorFlow's bool tensors; ksave's kernels have Greater and Equal (0/1), the
// others are those with the operands swapped or negated.
Tensor greater(const Tensor& x, const Tensor& y) { return ops::greater(x, y); }
Tensor less(const Tensor& x, const Tensor& y) { return ops::greater(y, x); }
Tensor greater_equal(const Tensor& x, const Tensor& y) { return ops::sub(ops::constant(1.0), ops::greater(y, x)); }
Tensor less_equal(const Tensor& x, const Tensor& y) { return ops::sub(ops::constant(1.0), ops::greater(x, y)); }
Tensor equal(const Tensor& x, const Tensor& y) { return ops::equal(x, y); }
Tensor not_equal(const Tensor& x, const Tensor& y) { return ops::sub(ops::constant(1.0), ops::equal(x, y)); }

template <Tensor (*F)(const Tensor&, const Tensor&)>
Tensors comparison(const OpArguments& a) {
  a.allow_only({"y"});
  return {ops::cast(F(a.first().as_float(), a.tensor("y").as_float()), DType::Bool)};
}

// tf.where(condition, x, y): x where the condition holds, else y (the one-argument form, which
// returns indices, is not supported).
Tensors where(const OpArguments& a) {
  a.allow_only({"x", "y"});
  // A bool condition (a comparison's) through the Cast op, which the SavedModel tracer records
  // (as_float would be a conversion outside the graph).
  const Tensor condition = ops::cast(a.first(), DType::Float32);
  return {ops::select(condition, a.tensor("x").as_float(), a.tensor("y").as_float())};
}

Tensors add_n(const OpArguments& a) {
  a.allow_only({});
  const std::vector<Tensor> xs = a.first_list();
  Tensor sum = xs.at(0).as_float();
  for (std::size_t i = 1; i < xs.size(); ++i) sum = ops::add(sum, xs[i].as_float());
  return {sum};
}

}  // namespace

std::vector<OpEntry> elementwise_ops() {
  return {
      {"math.abs", unary<ops::abs>},
      {"math.exp", unary<ops::exp>},
      {"math.log", unary<ops::log>},
      {"math.log1p", unary<ops::log1p>},
      {"math.sqrt", unary<ops::sqrt>},
      {"math.rsqrt", unary<ops::rsqrt>},
      {"math.square", unary<ops::square>},
      {"math.sign", unary<ops::sign>},
      {"math.floor", unary<ops::floor>},
      {"math.negative", unary<ops::neg>},
      {"math.reciprocal", unary<reciprocal>},
      {"math.erf", unary<ops::erf>},
      {"math.tanh", unary<ops::tanh>},
      {"math.sigmoid", unary<ops::sigmoid>},
      {"math.softplus", unary<ops::softplus>},
      {"math.log_sigmoid", unary<log_sigmoid>},
      {"nn.softsign", unary<ops::softsign>},
      {"nn.relu", unary<ops::relu>},
      {"nn.relu6", unary<relu6>},
      // Keras 3 operations no TensorFlow function computes: ksave's own names
      // (keras3_operations.hpp), which only Keras 3's form writes back.
      {"keras3.hard_sigmoid", unary<hard_sigmoid>},
      {"keras3.hard_silu", unary<hard_silu>},
      {"nn.elu", unary<ops::elu>},
      {"nn.selu", unary<ops::selu>},
      {"nn.silu", swish},
      {"nn.gelu", gelu},
      {"nn.leaky_relu", leaky_relu},
      {"nn.softmax", softmax_like<ops::softmax>},
      {"nn.log_softmax", softmax_like<ops::log_softmax>},
      {"math.add", binary<ops::add>},
      {"math.subtract", binary<ops::sub>},
      {"math.multiply", binary<ops::mul>},
      {"math.truediv", binary<ops::div>},
      {"math.maximum", binary<ops::maximum>},
      {"math.minimum", binary<ops::minimum>},
      {"math.pow", binary<ops::pow>},
      {"math.squared_difference", binary<ops::squared_difference>},
      {"math.greater", comparison<greater>},
      {"math.less", comparison<less>},
      {"math.greater_equal", comparison<greater_equal>},
      {"math.less_equal", comparison<less_equal>},
      {"math.equal", comparison<equal>},
      {"math.not_equal", comparison<not_equal>},
      {"where", where},
      {"math.add_n", add_n},
      {"clip_by_value", clip_by_value},
  };
}

}  // namespace ksave::plugins::tf_op
