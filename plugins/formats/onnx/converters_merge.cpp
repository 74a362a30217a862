// Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot and Keras 1's
// Merge(mode). Inputs are combined in the first input's layout, in the order ksave's layers
// combine them (left to right, an average divided by the count); Keras 3's op calls with
// constants (x + 3.0) in the layout their operands share.
#include "converter.hpp"
#include "tf_op_converters.hpp"

namespace ksave::plugins::onnx_export {
namespace {

// Every input, float32, in the first input's layout.
std::vector<std::string> aligned_inputs(Conversion& c) {
  std::vector<std::string> names;
  for (const Value& v : c.call.inputs) names.push_back(c.onnx.float_in_layout(v, c.input().perm));
  return names;
}

std::string fold(Conversion& c, const std::string& type, const std::vector<std::string>& xs) {
  std::string y = xs.at(0);
  for (std::size_t i = 1; i < xs.size(); ++i) y = c.onnx.op(type, {y, xs[i]}, c.hint());
  return y;
}

std::string combine(Conversion& c, const std::string& mode, const std::vector<std::string>& xs) {
  if (mode == "Subtract") return c.onnx.op("Sub", {xs.at(0), xs.at(1)}, c.hint());
  if (mode == "Average")
    return c.onnx.op("Div", {fold(c, "Add", xs), c.onnx.scalar(static_cast<float>(xs.size()))}, c.hint());
  static const std::map<std::string, std::string> binary{{"Add", "Add"}, {"Multiply", "Mul"}, {"Maximum", "Max"}, {"Minimum", "Min"}};
  return fold(c, binary.at(mode), xs);
}

// A Keras 3 op call with constant operands (keras.ops.add(x, 3.0), see ksave/call_arguments.hpp):
// its arguments in order, constants as initializers, combined in the layout they share.
std::vector<Value> op_call_with_constants(Conversion& c, const std::string& mode) {
  TfOpCall call(c);
  const std::vector<Value> operands = call.first_list();
  const Perm layout = shared_layout(operands);
  std::vector<std::string> xs;
  for (const Value& v : operands) xs.push_back(float_in_shared_layout(c.onnx, v, layout));
  const std::size_t rank = c.call.output_shapes.at(0).size();
  return {c.output(combine(c, mode, xs), 0, layout.size() == rank ? layout : Perm{})};
}

Converter elementwise(const std::string& mode) {
  return {[mode](Conversion& c) {
            if (c.call.call_kwargs.contains(call_arguments::kArgsKey)) return op_call_with_constants(c, mode);
            return std::vector<Value>{c.output(combine(c, mode, aligned_inputs(c)), 0, c.input().perm)};
          },
          {}};
}

std::string concatenated(Conversion& c, std::int64_t keras_axis) {
  return c.onnx.concat(aligned_inputs(c), onnx_axis(c.input().perm, keras_axis, c.input().rank()), c.hint());
}

std::vector<Value> concatenate(Conversion& c) {
  return {c.output(concatenated(c, c.config().value("axis", std::int64_t{-1})), 0, c.input().perm)};
}

// x / sqrt(max(sum(x²), 1e-12)) over `axis`, as tf.linalg.l2_normalize.
std::string l2_normalized(Conversion& c, const std::string& x, std::int64_t axis) {
  const std::string squares = c.onnx.reduce("ReduceSum", c.onnx.op("Mul", {x, x}, c.hint()), {axis}, true, c.hint());
  const std::string floor = c.onnx.op("Max", {squares, c.onnx.scalar(1e-12f)}, c.hint());
  return c.onnx.op("Mul", {x, c.onnx.op("Reciprocal", {c.onnx.op("Sqrt", {floor}, c.hint())}, c.hint())}, c.hint());
}

// Keras's batch_dot of two rank-2 or rank-3 inputs over `axes` (as ksave's Dot computes it).
std::string batch_dot(Conversion& c, std::vector<std::int64_t> axes, bool normalize) {
  const std::size_t rank = c.input(0).rank();
  if (rank != c.input(1).rank() || rank < 2 || rank > 3)
    throw Error(c.describe() + ": Dot is exported for two inputs of rank 2 or 3");
  std::string x = c.onnx.float_in_layout(c.input(0), {}), y = c.onnx.float_in_layout(c.input(1), {});
  for (auto& a : axes) a = a < 0 ? a + static_cast<std::int64_t>(rank) : a;
  if (normalize) {
    x = l2_normalized(c, x, axes[0]);
    y = l2_normalized(c, y, axes[1]);
  }
  if (rank == 2) return c.onnx.reduce("ReduceSum", c.onnx.op("Mul", {x, y}, c.hint()), {1}, true, c.hint());
  if (axes[0] == 1) x = c.onnx.transpose(x, {0, 2, 1}, c.hint());
  if (axes[1] == 2) y = c.onnx.transpose(y, {0, 2, 1}, c.hint());
  return c.onnx.op("MatMul", {x, y}, c.hint());
}

std::vector<std::int64_t> dot_axes(const Json& axes) {
  if (axes.is_number_integer()) return {axes.get<std::int64_t>(), axes.get<std::int64_t>()};
  return axes.get<std::vector<std::int64_t>>();
}

std::vector<Value> dot(Conversion& c) {
  return {c.output(batch_dot(c, dot_axes(c.config().at("axes")), c.config().value("normalize", false)))};
}

// Keras 1's Merge layer in its string modes.
std::vector<Value> keras1_merge(Conversion& c) {
  const std::string mode = c.config().value("mode", std::string("sum"));
  if (mode == "concat") return {c.output(concatenated(c, c.config().value("concat_axis", std::int64_t{-1})), 0, c.input().perm)};
  if (mode == "dot") return {c.output(batch_dot(c, dot_axes(c.config().value("dot_axes", Json(-1))), false))};
  static const std::map<std::string, std::string> modes{{"sum", "Add"}, {"mul", "Multiply"}, {"ave", "Average"}, {"max", "Maximum"}};
  return {c.output(combine(c, modes.at(mode), aligned_inputs(c)), 0, c.input().perm)};
}

}  // namespace

void add_merge_converters(ConverterTable& t) {
  for (const char* mode : {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}) t[mode] = elementwise(mode);
  t["Concatenate"] = {concatenate, {}};
  t["Dot"] = {dot, {}};
  t["Merge"] = {keras1_merge, {}};
}

}  // namespace ksave::plugins::onnx_export
