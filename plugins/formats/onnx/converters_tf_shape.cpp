// TensorFlow functions that move values around (reshape, transpose, concat, stack, unstack,
// split, expand_dims, squeeze, slice, tile, pad, gather, cast, matmul, zeros_like, ones_like).
// They read elements in Keras's order, so they take their inputs in Keras's layout (concat keeps
// a layout its inputs share).
#include <limits>
#include <numeric>

#include "../../layers/common/einsum.hpp"
#include "tf_op_converters.hpp"

namespace ksave::plugins::onnx_export {
namespace {

constexpr std::int64_t kToTheEnd = std::numeric_limits<std::int64_t>::max();

std::int64_t non_negative_axis(std::int64_t axis, std::size_t rank) {
  return axis < 0 ? axis + static_cast<std::int64_t>(rank) : axis;
}

std::vector<Value> reshape(TfOpCall& a) {
  a.allow_only({"shape"});
  const std::vector<std::int64_t> shape = a.required_ints("shape");
  // ONNX reads a 0 as "copy this dimension"; TensorFlow means an empty axis.
  for (std::int64_t d : shape)
    if (d == 0) throw Error(a.object() + ": a 0 in the target shape has no ONNX Reshape form");
  return {a.output(a.onnx().reshape(a.onnx().in_keras_layout(a.first()), shape, a.hint()))};
}

// A transpose is only a change of layout: the value is fetched in the permuted order.
std::vector<Value> transpose(TfOpCall& a) {
  a.allow_only({"perm", "conjugate"});
  const Value x = a.first();
  Perm perm(x.rank());
  if (auto given = a.ints("perm")) perm = *given;
  else std::iota(perm.rbegin(), perm.rend(), 0);  // TensorFlow's default: the axes reversed
  return {a.output(a.onnx().in_layout(x, perm))};
}

std::vector<Value> concat(TfOpCall& a) {
  a.allow_only({"axis"});
  const std::vector<Value> xs = a.first_list();
  const Perm layout = shared_layout(xs);
  std::vector<std::string> names;
  for (const Value& x : xs) names.push_back(a.onnx().in_layout(x, layout));
  const std::int64_t axis = onnx_axis(layout, a.get<std::int64_t>("axis", 0), xs.at(0).rank());
  return {a.output(a.onnx().concat(names, axis, a.hint()), 0, layout)};
}

std::vector<Value> stack(TfOpCall& a) {
  a.allow_only({"axis"});
  const std::vector<Value> xs = a.first_list();
  const std::int64_t axis = non_negative_axis(a.get<std::int64_t>("axis", 0), xs.at(0).rank() + 1);
  std::vector<std::string> names;
  for (const Value& x : xs) names.push_back(a.onnx().unsqueeze(a.onnx().in_keras_layout(x), {axis}, a.hint()));
  return {a.output(a.onnx().concat(names, axis, a.hint()))};
}

// Splits x along `axis` into parts of `sizes` (each squeezed away for unstack).
std::vector<Value> split_into(TfOpCall& a, const Value& x, std::int64_t axis, const std::vector<std::int64_t>& sizes,
                              bool squeeze) {
  const std::vector<std::string> parts =
      a.onnx().graph().add_node("Split", {a.onnx().in_keras_layout(x), a.onnx().ints(sizes)}, sizes.size(),
                                {int_attr("axis", axis)}, a.hint());
  std::vector<Value> out;
  for (std::size_t i = 0; i < parts.size(); ++i)
    out.push_back(a.output(squeeze ? a.onnx().squeeze(parts[i], {axis}, a.hint()) : parts[i], i));
  return out;
}

Dim known_length(TfOpCall& a, const Value& x, std::int64_t axis) {
  const Dim length = x.shape.at(static_cast<std::size_t>(axis));
  if (length == kUnknown) throw Error(a.object() + ": splitting an axis of unknown length has no fixed ONNX form");
  return length;
}

std::vector<Value> unstack(TfOpCall& a) {
  a.allow_only({"axis", "num"});
  const Value x = a.first();
  const std::int64_t axis = non_negative_axis(a.get<std::int64_t>("axis", 0), x.rank());
  return split_into(a, x, axis, std::vector<std::int64_t>(static_cast<std::size_t>(known_length(a, x, axis)), 1), true);
}

// tf.split: a number of equal parts, or a list of sizes with at most one -1.
std::vector<Value> split(TfOpCall& a) {
  a.allow_only({"num_or_size_splits", "axis", "num"});
  const Value x = a.first();
  const std::int64_t axis = non_negative_axis(a.get<std::int64_t>("axis", 0), x.rank());
  const Dim length = known_length(a, x, axis);
  std::vector<std::int64_t> sizes = a.required_ints("num_or_size_splits");
  if (a.value("num_or_size_splits").is_number_integer()) {
    const std::int64_t parts = sizes[0];
    if (parts <= 0 || length % parts != 0)
      throw Error(a.object() + ": cannot split " + std::to_string(length) + " values into " + std::to_string(parts) + " equal parts");
    sizes.assign(static_cast<std::size_t>(parts), length / parts);
  }
  const std::int64_t known = std::accumulate(sizes.begin(), sizes.end(), std::int64_t{0},
                                             [](std::int64_t sum, std::int64_t s) { return sum + (s < 0 ? 0 : s); });
  for (auto& s : sizes)
    if (s < 0) s = length - known;
  return split_into(a, x, axis, sizes, false);
}

std::vector<Value> expand_dims(TfOpCall& a) {
  a.allow_only({"axis", "dim"});
  const std::int64_t axis = a.get<std::int64_t>("axis", a.get<std::int64_t>("dim", 0));
  return {a.output(a.onnx().unsqueeze(a.onnx().in_keras_layout(a.first()), {axis}, a.hint()))};
}

// With no axes, the axes Keras knew to be 1 (the call's output shape was computed with them).
std::vector<Value> squeeze(TfOpCall& a) {
  a.allow_only({"axis", "squeeze_dims"});
  const Value x = a.first();
  auto axes = a.ints("axis");
  if (!axes) axes = a.ints("squeeze_dims");
  if (!axes || axes->empty()) {
    axes.emplace();
    for (std::size_t i = 0; i < x.rank(); ++i)
      if (x.shape[i] == 1) axes->push_back(static_cast<std::int64_t>(i));
  }
  return {a.output(a.onnx().squeeze(a.onnx().in_keras_layout(x), *axes, a.hint()))};
}

std::vector<Value> slice(TfOpCall& a) {
  a.allow_only({"begin", "size"});
  const std::vector<std::int64_t> begin = a.required_ints("begin"), size = a.required_ints("size");
  if (begin.size() != size.size()) throw Error(a.object() + ": begin and size have different lengths");
  std::vector<std::int64_t> ends, axes;
  for (std::size_t i = 0; i < begin.size(); ++i) {
    ends.push_back(size[i] < 0 ? kToTheEnd : begin[i] + size[i]);
    axes.push_back(static_cast<std::int64_t>(i));
  }
  return {a.output(a.onnx().slice(a.onnx().in_keras_layout(a.first()), begin, ends, axes, a.hint()))};
}

std::vector<Value> tile(TfOpCall& a) {
  a.allow_only({"multiples"});
  return {a.output(a.onnx().op("Tile", {a.onnx().in_keras_layout(a.first()), a.onnx().ints(a.required_ints("multiples"))}, a.hint()))};
}

std::vector<Value> pad(TfOpCall& a) {
  a.allow_only({"paddings", "mode", "constant_values"});
  const std::string mode = a.get<std::string>("mode", "CONSTANT");
  if (mode != "CONSTANT" && mode != "constant") throw Error(a.object() + ": only mode CONSTANT is exported, found " + mode);
  const Value x = a.first();
  std::vector<std::int64_t> pads(2 * x.rank(), 0);
  const Json& paddings = a.value("paddings");
  if (!paddings.is_array() || paddings.size() != x.rank())
    throw Error(a.object() + ": expected " + std::to_string(x.rank()) + " [before, after] pairs in paddings, found " + paddings.dump().substr(0, 80));
  for (std::size_t i = 0; i < x.rank(); ++i) {
    pads[i] = paddings[i].at(0).get<std::int64_t>();
    pads[i + x.rank()] = paddings[i].at(1).get<std::int64_t>();
  }
  const std::string fill = a.onnx().graph().constant(Tensor::filled(x.dtype, {}, a.get<double>("constant_values", 0.0)), a.hint("fill"));
  return {a.output(a.onnx().op("Pad", {a.onnx().in_keras_layout(x), a.onnx().ints(pads), fill}, a.hint(),
                                {string_attr("mode", "constant")}))};
}

std::vector<Value> gather(TfOpCall& a) {
  a.allow_only({"indices", "axis", "batch_dims", "validate_indices"});
  if (a.get<std::int64_t>("batch_dims", 0) != 0) throw Error(a.object() + ": batch_dims other than 0 has no ONNX Gather form");
  const Value indices = a.tensor("indices");
  const std::string raw = a.onnx().in_keras_layout(indices);
  const std::string ids = indices.dtype == DType::Int64 ? raw : a.onnx().cast(raw, DType::Int64, a.hint());
  return {a.output(a.onnx().op("Gather", {a.onnx().in_keras_layout(a.first()), ids}, a.hint(),
                               {int_attr("axis", a.get<std::int64_t>("axis", 0))}))};
}

std::vector<Value> cast(TfOpCall& a) {
  a.allow_only({"dtype"});
  const Value x = a.first();
  return {a.output(a.onnx().cast(a.onnx().in_layout(x, x.perm), parse_dtype(a.get<std::string>("dtype", "float32")), a.hint()), 0, x.perm)};
}

// The last two axes swapped, as matmul's transpose_a / transpose_b.
std::string last_two_swapped(TfOpCall& a, const std::string& x, std::size_t rank) {
  Perm perm = identity_perm(rank);
  std::swap(perm[rank - 1], perm[rank - 2]);
  return a.onnx().transpose(x, perm, a.hint());
}

std::vector<Value> matmul(TfOpCall& a) {
  a.allow_only({"b", "transpose_a", "transpose_b"});
  const Value x = a.first(), y = a.tensor("b");
  if (x.rank() < 2 || y.rank() < 2) throw Error(a.object() + ": matmul needs operands of rank 2 or more");
  std::string left = a.onnx().float_in_layout(x, {}), right = a.onnx().float_in_layout(y, {});
  if (a.get<bool>("transpose_a", false)) left = last_two_swapped(a, left, x.rank());
  if (a.get<bool>("transpose_b", false)) right = last_two_swapped(a, right, y.rank());
  return {a.output(a.onnx().op("MatMul", {left, right}, a.hint()))};
}

// Keras 3's einsum (ksave's name keras3.einsum): ONNX's Einsum on the operands in Keras's layout,
// its output written out as Keras computes an implicit one (../../layers/common/einsum.hpp).
std::vector<Value> einsum(TfOpCall& a) {
  a.allow_only({"equation", "y"});
  std::vector<std::string> operands{a.onnx().float_in_layout(a.first(), {})};
  if (a.has("y")) operands.push_back(a.onnx().float_in_layout(a.tensor("y"), {}));
  const std::string equation = einsum::explicit_equation(einsum::parse(a.get<std::string>("equation", ""), a.object()));
  return {a.output(a.onnx().op("Einsum", operands, a.hint(), {string_attr("equation", equation)}))};
}

TfOpConverter filled_like(double value) {
  return [value](TfOpCall& a) {
    a.allow_only({"dtype", "optimize"});
    const Value x = a.first();
    const std::string shape = a.onnx().op("Shape", {a.onnx().in_keras_layout(x)}, a.hint());
    return std::vector<Value>{a.output(a.onnx().op("ConstantOfShape", {shape}, a.hint(),
                                                   {tensor_attr("value", Tensor::filled(x.dtype, {1}, value))}))};
  };
}

}  // namespace

std::vector<TfOpEntry> shape_tf_ops() {
  return {
      {"reshape", reshape},
      {"transpose", transpose},
      {"concat", concat},
      {"stack", stack},
      {"unstack", unstack},
      {"split", split},
      {"expand_dims", expand_dims},
      {"squeeze", squeeze},
      {"slice", slice},
      {"tile", tile},
      {"pad", pad},
      {"gather", gather},
      {"cast", cast},
      {"linalg.matmul", matmul},
      {"keras3.einsum", einsum},
      {"zeros_like", filled_like(0.0)},
      {"ones_like", filled_like(1.0)},
  };
}

}  // namespace ksave::plugins::onnx_export
