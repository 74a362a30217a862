// Elementwise TensorFlow functions (tf.math, tf.nn activations, the Python operators tf.keras
// records, clipping, comparisons, tf.where) keep their input's layout; reductions, argmax, argmin,
// cumsum and l2_normalize work in Keras's. Each is computed as ksave's tf_op_lambda plugin computes it (float32).
#include <cmath>
#include <numbers>

#include "activations.hpp"
#include "tf_op_converters.hpp"

namespace ksave::plugins::onnx_export {
namespace {

// One ONNX operator of one input, or a Keras activation of that name.
TfOpConverter unary(std::string type, bool is_activation = false) {
  return [type, is_activation](TfOpCall& a) {
    a.allow_only({});
    const Value x = a.first();
    const std::string in = a.onnx().float_in_layout(x, x.perm);
    const std::string y = is_activation ? emit_activation(a.onnx(), type, in, onnx_axis(x.perm, -1, x.rank()), a.hint())
                                        : a.onnx().op(type, {in}, a.hint());
    return std::vector<Value>{a.output(y, 0, x.perm)};
  };
}

// f(x) for a function written with several operators, in x's layout.
TfOpConverter composed(std::string (*f)(Emitter&, const std::string&, const std::string&)) {
  return [f](TfOpCall& a) {
    a.allow_only({});
    const Value x = a.first();
    return std::vector<Value>{a.output(f(a.onnx(), a.onnx().float_in_layout(x, x.perm), a.hint()), 0, x.perm)};
  };
}

std::string log1p(Emitter& onnx, const std::string& x, const std::string& hint) {
  return onnx.op("Log", {onnx.op("Add", {x, onnx.scalar(1.0f)}, hint)}, hint);
}
std::string rsqrt(Emitter& onnx, const std::string& x, const std::string& hint) {
  return onnx.op("Reciprocal", {onnx.op("Sqrt", {x}, hint)}, hint);
}
std::string square(Emitter& onnx, const std::string& x, const std::string& hint) { return onnx.op("Mul", {x, x}, hint); }
std::string log_sigmoid(Emitter& onnx, const std::string& x, const std::string& hint) {
  return onnx.op("Neg", {onnx.op("Softplus", {onnx.op("Neg", {x}, hint)}, hint)}, hint);
}

// The layout of a combination's result: the shared one when the result has its rank.
Perm result_layout(TfOpCall& a, const Perm& layout) {
  return layout.size() == a.conversion().call.output_shapes.at(0).size() ? layout : Perm{};
}

// The values combined in their shared layout, folded left to right with `type`.
std::vector<Value> combined(TfOpCall& a, const std::string& type, const std::vector<Value>& values) {
  const Perm layout = shared_layout(values);
  std::string y = float_in_shared_layout(a.onnx(), values.at(0), layout);
  for (std::size_t i = 1; i < values.size(); ++i)
    y = a.onnx().op(type, {y, float_in_shared_layout(a.onnx(), values[i], layout)}, a.hint());
  return {a.output(y, 0, result_layout(a, layout))};
}

TfOpConverter binary(std::string type) {
  return [type](TfOpCall& a) {
    a.allow_only({"y"});
    return combined(a, type, {a.first(), a.tensor("y")});
  };
}

std::vector<Value> squared_difference(TfOpCall& a) {
  a.allow_only({"y"});
  std::vector<Value> d = combined(a, "Sub", {a.first(), a.tensor("y")});
  d[0].name = a.onnx().op("Mul", {d[0].name, d[0].name}, a.hint());
  return d;
}

// TensorFlow's comparisons: ONNX's operator of the same meaning, a bool result (negated for
// not_equal, which ONNX has only as Not(Equal)).
TfOpConverter comparison(std::string type, bool negated = false) {
  return [type, negated](TfOpCall& a) {
    a.allow_only({"y"});
    const Value x = a.first(), y = a.tensor("y");
    const Perm layout = shared_layout({x, y});
    Emitter& onnx = a.onnx();
    std::string out =
        onnx.op(type, {float_in_shared_layout(onnx, x, layout), float_in_shared_layout(onnx, y, layout)}, a.hint());
    if (negated) out = onnx.op("Not", {out}, a.hint());
    return std::vector<Value>{a.output(out, 0, result_layout(a, layout))};
  };
}

// tf.where(condition, x, y): ONNX's Where, the condition as bool (nonzero is true).
std::vector<Value> where(TfOpCall& a) {
  a.allow_only({"x", "y"});
  const Value condition = a.first(), x = a.tensor("x"), y = a.tensor("y");
  const Perm layout = shared_layout({condition, x, y});
  Emitter& onnx = a.onnx();
  const std::string mask = onnx.cast(float_in_shared_layout(onnx, condition, layout), DType::Bool, a.hint());
  const std::string out =
      onnx.op("Where", {mask, float_in_shared_layout(onnx, x, layout), float_in_shared_layout(onnx, y, layout)}, a.hint());
  return {a.output(out, 0, result_layout(a, layout))};
}

std::vector<Value> add_n(TfOpCall& a) {
  a.allow_only({});
  return combined(a, "Add", a.first_list());
}

std::vector<Value> clip_by_value(TfOpCall& a) {
  a.allow_only({"clip_value_min", "clip_value_max"});
  const Value x = a.first(), low = a.tensor("clip_value_min"), high = a.tensor("clip_value_max");
  const Perm layout = shared_layout({x, low, high});
  Emitter& onnx = a.onnx();
  const std::string floored = onnx.op("Max", {float_in_shared_layout(onnx, x, layout), float_in_shared_layout(onnx, low, layout)}, a.hint());
  const std::string y = onnx.op("Min", {floored, float_in_shared_layout(onnx, high, layout)}, a.hint());
  return {a.output(y, 0, layout.size() == x.rank() ? layout : Perm{})};
}

// x · sigmoid(beta · x).
std::vector<Value> swish(TfOpCall& a) {
  a.allow_only({"beta"});
  const Value x = a.first();
  Emitter& onnx = a.onnx();
  const std::string in = onnx.float_in_layout(x, x.perm);
  const auto beta = a.get<double>("beta", 1.0);
  const std::string scaled = beta == 1.0 ? in : onnx.op("Mul", {in, onnx.scalar(static_cast<float>(beta))}, a.hint());
  return {a.output(onnx.op("Mul", {in, onnx.op("Sigmoid", {scaled}, a.hint())}, a.hint()), 0, x.perm)};
}

// tf.nn.gelu: the erf form, or the tanh approximation with approximate=True.
std::vector<Value> gelu(TfOpCall& a) {
  a.allow_only({"approximate"});
  const Value x = a.first();
  Emitter& onnx = a.onnx();
  const std::string in = onnx.float_in_layout(x, x.perm);
  if (!a.get<bool>("approximate", false))
    return {a.output(emit_activation(onnx, "gelu", in, onnx_axis(x.perm, -1, x.rank()), a.hint()), 0, x.perm)};
  // 0.5 x (1 + tanh(sqrt(2/π) (x + 0.044715 x³)))
  const std::string cube = onnx.op("Mul", {square(onnx, in, a.hint()), in}, a.hint());
  const std::string inner = onnx.op("Add", {in, onnx.op("Mul", {cube, onnx.scalar(0.044715f)}, a.hint())}, a.hint());
  const std::string t = onnx.op("Tanh", {onnx.op("Mul", {inner, onnx.scalar(static_cast<float>(std::sqrt(2.0 / std::numbers::pi)))}, a.hint())}, a.hint());
  const std::string half = onnx.op("Mul", {in, onnx.scalar(0.5f)}, a.hint());
  return {a.output(onnx.op("Mul", {half, onnx.op("Add", {t, onnx.scalar(1.0f)}, a.hint())}, a.hint()), 0, x.perm)};
}

std::vector<Value> leaky_relu(TfOpCall& a) {
  a.allow_only({"alpha"});
  const Value x = a.first();
  const std::string y = a.onnx().op("LeakyRelu", {a.onnx().float_in_layout(x, x.perm)}, a.hint(),
                                    {float_attr("alpha", a.get<double>("alpha", 0.2))});
  return {a.output(y, 0, x.perm)};
}

TfOpConverter softmax_like(std::string type) {
  return [type](TfOpCall& a) {
    a.allow_only({"axis", "dim"});
    const Value x = a.first();
    const std::int64_t axis = onnx_axis(x.perm, a.get<std::int64_t>("axis", a.get<std::int64_t>("dim", -1)), x.rank());
    const std::string y = a.onnx().op(type, {a.onnx().float_in_layout(x, x.perm)}, a.hint(), {int_attr("axis", axis)});
    return std::vector<Value>{a.output(y, 0, x.perm)};
  };
}

// Keras axes (an int, a list, or every axis when absent) made non-negative.
std::vector<std::int64_t> keras_axes(const std::optional<std::vector<std::int64_t>>& given, std::size_t rank) {
  std::vector<std::int64_t> axes;
  if (!given || given->empty())
    for (std::size_t i = 0; i < rank; ++i) axes.push_back(static_cast<std::int64_t>(i));
  else
    for (std::int64_t axis : *given) axes.push_back(axis < 0 ? axis + static_cast<std::int64_t>(rank) : axis);
  return axes;
}

struct Reduction {
  std::string x;  // float32, Keras layout
  std::vector<std::int64_t> axes;
  bool keepdims = false;
};

Reduction reduction(TfOpCall& a) {
  a.allow_only({"axis", "keepdims"});
  const Value x = a.first();
  return {a.onnx().float_in_layout(x, {}), keras_axes(a.ints("axis"), x.rank()), a.get<bool>("keepdims", false)};
}

TfOpConverter reduce(std::string type) {
  return [type](TfOpCall& a) {
    const Reduction r = reduction(a);
    return std::vector<Value>{a.output(a.onnx().reduce(type, r.x, r.axes, r.keepdims, a.hint()))};
  };
}

// Population variance, as tf.math.reduce_variance.
std::string variance(TfOpCall& a, const Reduction& r) {
  Emitter& onnx = a.onnx();
  const std::string centered = onnx.op("Sub", {r.x, onnx.reduce("ReduceMean", r.x, r.axes, true, a.hint())}, a.hint());
  return onnx.reduce("ReduceMean", square(onnx, centered, a.hint()), r.axes, r.keepdims, a.hint());
}

std::vector<Value> reduce_variance(TfOpCall& a) { return {a.output(variance(a, reduction(a)))}; }
std::vector<Value> reduce_std(TfOpCall& a) {
  return {a.output(a.onnx().op("Sqrt", {variance(a, reduction(a))}, a.hint()))};
}

// tf.math.argmax / argmin ("ArgMax" / "ArgMin"): int64 unless output_type says otherwise.
TfOpConverter arg_reduction(std::string type) {
  return [type](TfOpCall& a) {
    a.allow_only({"axis", "output_type"});
    const Value x = a.first();
    std::string y = a.onnx().op(type, {a.onnx().float_in_layout(x, {})}, a.hint(),
                                {int_attr("axis", a.get<std::int64_t>("axis", 0)), int_attr("keepdims", 0)});
    const DType wanted = parse_dtype(a.get<std::string>("output_type", "int64"));
    if (wanted != DType::Int64) y = a.onnx().cast(y, wanted, a.hint());
    return std::vector<Value>{a.output(y)};
  };
}

// tf.math.cumsum as ONNX's CumSum (the axis an input, exclusive and reverse alike).
std::vector<Value> cumsum(TfOpCall& a) {
  a.allow_only({"axis", "exclusive", "reverse"});
  const Value x = a.first();
  const std::string axis = a.onnx().squeeze(a.onnx().ints({a.get<std::int64_t>("axis", 0)}), {0}, a.hint());  // a 0-D input
  const std::string y = a.onnx().op("CumSum", {a.onnx().float_in_layout(x, {}), axis}, a.hint(),
                                    {int_attr("exclusive", a.get<bool>("exclusive", false) ? 1 : 0),
                                     int_attr("reverse", a.get<bool>("reverse", false) ? 1 : 0)});
  return {a.output(y)};
}

// x / sqrt(max(sum(x²), epsilon)) over the axes.
std::vector<Value> l2_normalize(TfOpCall& a) {
  a.allow_only({"axis", "epsilon", "dim"});
  const Value x = a.first();
  Emitter& onnx = a.onnx();
  const std::string in = onnx.float_in_layout(x, {});
  auto given = a.ints("axis");
  if (!given) given = a.ints("dim");
  const std::string squares = onnx.reduce("ReduceSum", square(onnx, in, a.hint()), keras_axes(given, x.rank()), true, a.hint());
  const std::string floor = onnx.op("Max", {squares, onnx.scalar(static_cast<float>(a.get<double>("epsilon", 1e-12)))}, a.hint());
  return {a.output(onnx.op("Mul", {in, rsqrt(onnx, floor, a.hint())}, a.hint()))};
}

}  // namespace

std::vector<TfOpEntry> elementwise_tf_ops() {
  return {
      {"math.abs", unary("Abs")},
      {"math.exp", unary("Exp")},
      {"math.log", unary("Log")},
      {"math.log1p", composed(log1p)},
      {"math.sqrt", unary("Sqrt")},
      {"math.rsqrt", composed(rsqrt)},
      {"math.square", composed(square)},
      {"math.sign", unary("Sign")},
      {"math.floor", unary("Floor")},
      {"math.negative", unary("Neg")},
      {"math.reciprocal", unary("Reciprocal")},
      {"math.erf", unary("Erf")},
      {"math.tanh", unary("Tanh")},
      {"math.sigmoid", unary("Sigmoid")},
      {"math.softplus", unary("Softplus")},
      {"math.log_sigmoid", composed(log_sigmoid)},
      {"nn.softsign", unary("Softsign")},
      {"nn.relu", unary("Relu")},
      {"nn.relu6", unary("relu6", true)},
      // Keras 3's hard_sigmoid and hard_silu (ksave's own names: no TensorFlow function computes them).
      {"keras3.hard_sigmoid", unary("hard_sigmoid_keras3", true)},
      {"keras3.hard_silu", unary("hard_silu", true)},
      {"nn.elu", unary("elu", true)},
      {"nn.selu", unary("selu", true)},
      {"nn.silu", swish},
      {"nn.gelu", gelu},
      {"nn.leaky_relu", leaky_relu},
      {"nn.softmax", softmax_like("Softmax")},
      {"nn.log_softmax", softmax_like("LogSoftmax")},
      {"math.add", binary("Add")},
      {"math.subtract", binary("Sub")},
      {"math.multiply", binary("Mul")},
      {"math.truediv", binary("Div")},
      {"math.maximum", binary("Max")},
      {"math.minimum", binary("Min")},
      {"math.pow", binary("Pow")},
      {"math.squared_difference", squared_difference},
      {"math.greater", comparison("Greater")},
      {"math.less", comparison("Less")},
      {"math.greater_equal", comparison("GreaterOrEqual")},
      {"math.less_equal", comparison("LessOrEqual")},
      {"math.equal", comparison("Equal")},
      {"math.not_equal", comparison("Equal", true)},
      {"where", where},
      {"math.add_n", add_n},
      {"clip_by_value", clip_by_value},
  };
}

std::vector<TfOpEntry> reduction_tf_ops() {
  return {
      {"math.reduce_sum", reduce("ReduceSum")},
      {"math.reduce_mean", reduce("ReduceMean")},
      {"math.reduce_max", reduce("ReduceMax")},
      {"math.reduce_min", reduce("ReduceMin")},
      {"math.reduce_variance", reduce_variance},
      {"math.reduce_std", reduce_std},
      {"math.argmax", arg_reduction("ArgMax")},
      {"math.argmin", arg_reduction("ArgMin")},
      {"math.cumsum", cumsum},
      {"math.l2_normalize", l2_normalize},
  };
}

}  // namespace ksave::plugins::onnx_export
