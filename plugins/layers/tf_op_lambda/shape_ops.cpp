// TensorFlow functions that move values around: reshape, transpose, concat, stack, unstack,
// split, expand_dims, squeeze, slice, tile, pad, gather, cast, matmul, Keras 3's einsum.
#include <numeric>

#include "../common/einsum.hpp"
#include "ksave/ops.hpp"
#include "op_table.hpp"

namespace ksave::plugins::tf_op {
namespace {

std::vector<std::int64_t> required_ints(const OpArguments& a, std::string_view key) {
  auto values = a.ints(key);
  if (!values) throw Error(a.object() + ": the call has no argument '" + std::string(key) + "'");
  return *values;
}

Tensors reshape(const OpArguments& a) {
  a.allow_only({"shape"});
  auto shape = required_ints(a, "shape");
  return {ops::reshape(a.first(), Shape(shape.begin(), shape.end()))};
}

Tensors transpose(const OpArguments& a) {
  a.allow_only({"perm", "conjugate"});
  const Tensor x = a.first();
  std::vector<std::int64_t> perm(static_cast<std::size_t>(x.rank()));
  if (auto given = a.ints("perm")) perm = *given;
  else std::iota(perm.rbegin(), perm.rend(), 0);  // TensorFlow's default: reverse the axes
  return {ops::transpose(x, perm)};
}

Tensors concat(const OpArguments& a) {
  a.allow_only({"axis"});
  return {ops::concat(a.first_list(), a.get<std::int64_t>("axis", 0))};
}

Tensors stack(const OpArguments& a) {
  a.allow_only({"axis"});
  return {ops::stack(a.first_list(), a.get<std::int64_t>("axis", 0))};
}

Tensors unstack(const OpArguments& a) {
  a.allow_only({"axis", "num"});
  return ops::unstack(a.first(), a.get<std::int64_t>("axis", 0));
}

// tf.split: a number of equal parts, or a list of sizes with at most one -1.
Tensors split(const OpArguments& a) {
  a.allow_only({"num_or_size_splits", "axis", "num"});
  const Tensor x = a.first();
  std::int64_t axis = a.get<std::int64_t>("axis", 0);
  if (axis < 0) axis += x.rank();
  const Dim length = x.dim(static_cast<int>(axis));
  std::vector<std::int64_t> sizes = required_ints(a, "num_or_size_splits");
  if (a.value("num_or_size_splits").is_number_integer()) {
    const std::int64_t parts = sizes[0];
    if (parts <= 0 || length % parts != 0)
      throw Error(a.object() + ": cannot split " + std::to_string(length) + " values into " + std::to_string(parts) +
                  " equal parts");
    sizes.assign(static_cast<std::size_t>(parts), length / parts);
  }
  std::int64_t known = 0;
  for (auto s : sizes) known += s < 0 ? 0 : s;
  for (auto& s : sizes)
    if (s < 0) s = length - known;
  Tensors out;
  std::vector<std::int64_t> begin(static_cast<std::size_t>(x.rank()), 0), size(static_cast<std::size_t>(x.rank()), -1);
  for (auto s : sizes) {
    size[static_cast<std::size_t>(axis)] = s;
    out.push_back(ops::slice(x, begin, size));
    begin[static_cast<std::size_t>(axis)] += s;
  }
  if (begin[static_cast<std::size_t>(axis)] != length)
    throw Error(a.object() + ": split sizes add up to " + std::to_string(begin[static_cast<std::size_t>(axis)]) +
                ", the axis has " + std::to_string(length));
  return out;
}

Tensors expand_dims(const OpArguments& a) {
  a.allow_only({"axis", "dim"});
  return {ops::expand_dims(a.first(), a.get<std::int64_t>("axis", a.get<std::int64_t>("dim", 0)))};
}

Tensors squeeze(const OpArguments& a) {
  a.allow_only({"axis", "squeeze_dims"});
  auto axes = a.ints("axis");
  if (!axes) axes = a.ints("squeeze_dims");
  return {ops::squeeze(a.first(), axes.value_or(std::vector<std::int64_t>{}))};
}

Tensors slice(const OpArguments& a) {
  a.allow_only({"begin", "size"});
  return {ops::slice(a.first(), required_ints(a, "begin"), required_ints(a, "size"))};
}

Tensors tile(const OpArguments& a) {
  a.allow_only({"multiples"});
  return {ops::tile(a.first(), required_ints(a, "multiples"))};
}

Tensors pad(const OpArguments& a) {
  a.allow_only({"paddings", "mode", "constant_values"});
  if (a.get<std::string>("mode", "CONSTANT") != "CONSTANT" && a.get<std::string>("mode", "CONSTANT") != "constant")
    throw Error(a.object() + ": only mode CONSTANT is supported, found " + a.value("mode").dump());
  std::vector<std::pair<std::int64_t, std::int64_t>> pads;
  for (const auto& p : a.value("paddings")) pads.emplace_back(p.at(0).get<std::int64_t>(), p.at(1).get<std::int64_t>());
  return {ops::pad(a.first(), pads, a.get<double>("constant_values", 0.0))};
}

Tensors gather(const OpArguments& a) {
  a.allow_only({"indices", "axis", "batch_dims", "validate_indices"});
  if (a.get<std::int64_t>("batch_dims", 0) != 0) throw Error(a.object() + ": batch_dims other than 0 is not supported");
  return {ops::gather(a.first(), a.tensor("indices"), a.get<std::int64_t>("axis", 0))};
}

Tensors cast(const OpArguments& a) {
  a.allow_only({"dtype"});
  return {ops::cast(a.first(), parse_dtype(a.get<std::string>("dtype", "float32")))};
}

Tensors matmul(const OpArguments& a) {
  a.allow_only({"b", "transpose_a", "transpose_b"});
  const Tensor x = a.first().as_float(), y = a.tensor("b").as_float();
  const bool ta = a.get<bool>("transpose_a", false), tb = a.get<bool>("transpose_b", false);
  if (x.rank() == 2 && y.rank() == 2) return {ops::matmul(x, y, ta, tb)};
  return {ops::batch_matmul(x, y, ta, tb)};
}

// Keras 3's einsum(subscripts, x[, y]) (ksave's name keras3.einsum: tf-keras cannot record
// tf.einsum's tensors), of one or two operands, with the layers' einsum (../common/einsum.hpp).
Tensors einsum_op(const OpArguments& a) {
  a.allow_only({"equation", "y"});
  const einsum::Labels e = einsum::parse(a.get<std::string>("equation", ""), a.object());
  const Tensor x = a.first().as_float();
  const Tensor y = a.has("y") ? a.tensor("y").as_float() : Tensor();
  if (e.b.empty() == a.has("y"))
    throw Error(a.object() + ": the equation has " + (e.b.empty() ? "one operand" : "two operands") + ", the call " +
                (a.has("y") ? "two" : "one"));
  if (x.rank() != static_cast<std::int64_t>(e.a.size()) || (a.has("y") && y.rank() != static_cast<std::int64_t>(e.b.size())))
    throw Error(a.object() + ": operands of shape " + shape_to_string(x.shape()) + (a.has("y") ? " and " + shape_to_string(y.shape()) : "") +
                " for the equation's terms '" + e.a + "'" + (a.has("y") ? " and '" + e.b + "'" : ""));
  return {e.b.empty() ? einsum::reduced(x, e.a, e.out) : einsum::product(x, y, e)};
}

// tf.zeros_like / tf.ones_like, of the input's dtype unless `dtype` names another.
template <Tensor (*F)(const Tensor&)>
Tensors like(const OpArguments& a) {
  a.allow_only({"dtype", "optimize"});
  const Tensor y = F(a.first());
  if (!a.has("dtype")) return {y};
  return {ops::cast(y, parse_dtype(a.get<std::string>("dtype", "")))};
}

}  // namespace

std::vector<OpEntry> shape_ops() {
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
      {"keras3.einsum", einsum_op},
      {"zeros_like", like<ops::zeros_like>},
      {"ones_like", like<ops::ones_like>},
  };
}

}  // namespace ksave::plugins::tf_op
