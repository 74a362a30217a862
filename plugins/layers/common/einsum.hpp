// The product of two tensors by an einsum equation of two operands with explicit output letters
// ("abc,cde->abde"), written with ksave's ops so that the tape differentiates it. A letter of
// both operands and the output is a batch axis, of both operands alone a contracted one, of one
// operand and the output a free one; a letter of one operand alone is summed out first. The
// product is one (batch, free_a, contracted) · (batch, contracted, free_b) matmul (a plain matmul
// without batch letters), then a transpose to the output's order.
// One operand's equation ("bij->bj", "ij->ji") is its sums and transpose (reduced()). parse()
// reads an equation of one or two operands.
// Shared by EinsumDense (layers/attention), the SavedModel graph runtime's Einsum op and the
// Keras 3 Einsum operation (layers/tf_op_lambda).
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "ksave/error.hpp"
#include "ksave/ops.hpp"

namespace ksave::plugins::einsum {

// The letters of each operand and of the output, one per axis.
struct Labels {
  std::string a, b, out;
};

inline bool has(const std::string& letters, char c) { return letters.find(c) != std::string::npos; }

namespace detail {

// Axes of `labels` in the order the letters of `order` give.
inline std::vector<std::int64_t> axes_of(const std::string& labels, const std::string& order) {
  std::vector<std::int64_t> axes;
  for (char c : order) axes.push_back(static_cast<std::int64_t>(labels.find(c)));
  return axes;
}

inline Dim size_of(const Tensor& x, const std::string& labels, const std::string& letters) {
  Dim size = 1;
  for (char c : letters) size *= x.dim(static_cast<std::int64_t>(labels.find(c)));
  return size;
}

// The identity permutation is no copy: MultiHeadAttention's projections need none.
inline Tensor transposed(const Tensor& x, const std::vector<std::int64_t>& perm) {
  std::vector<std::int64_t> identity(perm.size());
  std::iota(identity.begin(), identity.end(), 0);
  return perm == identity ? x : ops::transpose(x, perm);
}

// Sums `x` over the letters of `labels` that neither `other` nor `out` has, and drops them from
// `labels`.
inline Tensor summed_out(const Tensor& x, std::string& labels, const std::string& other, const std::string& out) {
  std::vector<std::int64_t> axes;
  std::string kept;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (has(other, labels[i]) || has(out, labels[i])) kept += labels[i];
    else axes.push_back(static_cast<std::int64_t>(i));
  }
  if (axes.empty()) return x;
  labels = kept;
  return ops::sum(x, axes);
}

}  // namespace detail

// An equation of one or two operands ("ab,bc->ac", "abc->ac"); `b` is empty for one operand.
// Without "->", the output is the letters that occur once in the order they first appear: Keras
// 3's TensorFlow backend renames the letters a, b, c, ... by first appearance before tf.einsum
// sorts them (measured: keras.ops.einsum("ji", m) is m itself, numpy's einsum transposes; Keras's
// symbolic shape is numpy's).
// Letters are a-z and A-Z; a letter repeated within one operand (a diagonal), an ellipsis or an
// output letter no operand has is refused. `object` names the caller in errors.
inline Labels parse(const std::string& equation, const std::string& object) {
  auto fail = [&](const std::string& why) { return Error(object + ": equation '" + equation + "' " + why); };
  const auto arrow = equation.find("->");
  const std::string inputs = equation.substr(0, arrow);
  const auto comma = inputs.find(',');
  if (std::count(inputs.begin(), inputs.end(), ',') > 1)
    throw fail("has more than two operands, which ksave does not support");
  Labels e{inputs.substr(0, comma), comma == std::string::npos ? "" : inputs.substr(comma + 1), ""};
  if (arrow != std::string::npos) {
    e.out = equation.substr(arrow + 2);
  } else {
    for (char c : inputs)
      if (c != ',' && std::count(inputs.begin(), inputs.end(), c) == 1) e.out += c;
  }
  for (const std::string* part : {&e.a, &e.b, &e.out})
    for (std::size_t i = 0; i < part->size(); ++i) {
      const char c = (*part)[i];
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
        throw fail("has '" + std::string(1, c) + "': ellipsis and spaces are not supported");
      if (part->find(c, i + 1) != std::string::npos) throw fail("repeats '" + std::string(1, c) + "' in one term, which is not supported");
    }
  if (comma != std::string::npos && e.b.empty()) throw fail("has an empty operand");
  for (char c : e.out)
    if (!has(e.a, c) && !has(e.b, c)) throw fail("has output letter '" + std::string(1, c) + "' that no operand has");
  return e;
}

// The equation with its output written out ("ab,bc->ac"), for consumers that would order an
// implicit output otherwise (ONNX's Einsum sorts it as numpy does).
inline std::string explicit_equation(const Labels& e) { return e.a + (e.b.empty() ? "" : "," + e.b) + "->" + e.out; }

// One operand's equation: the letters the output lacks summed out, then the output's order.
inline Tensor reduced(const Tensor& x, std::string labels, const std::string& out) {
  const Tensor summed = detail::summed_out(x, labels, "", out);
  return detail::transposed(summed, detail::axes_of(labels, out));
}

// The operands' ranks must be their letter counts and every output letter must be an operand's
// (the callers check both, naming their object).
inline Tensor product(const Tensor& a_in, const Tensor& b_in, Labels e) {
  using detail::size_of;
  const Tensor a = detail::summed_out(a_in, e.a, e.b, e.out), b = detail::summed_out(b_in, e.b, e.a, e.out);
  std::string batch, free_a, free_b, contracted;
  for (char c : e.a) {
    if (has(e.b, c)) (has(e.out, c) ? batch : contracted) += c;
    else free_a += c;
  }
  for (char c : e.b)
    if (!has(e.a, c)) free_b += c;
  const Tensor lhs = detail::transposed(a, detail::axes_of(e.a, batch + free_a + contracted));
  const Tensor rhs = detail::transposed(b, detail::axes_of(e.b, batch + contracted + free_b));
  const Dim m = size_of(a, e.a, free_a), k = size_of(a, e.a, contracted), n = size_of(b, e.b, free_b);
  const Tensor flat = batch.empty() ? ops::matmul(ops::reshape(lhs, {m, k}), ops::reshape(rhs, {k, n}))
                                    : ops::batch_matmul(ops::reshape(lhs, {size_of(a, e.a, batch), m, k}),
                                                        ops::reshape(rhs, {size_of(b, e.b, batch), k, n}));
  Shape result;
  for (char c : batch + free_a) result.push_back(a.dim(static_cast<std::int64_t>(e.a.find(c))));
  for (char c : free_b) result.push_back(b.dim(static_cast<std::int64_t>(e.b.find(c))));
  return detail::transposed(ops::reshape(flat, result), detail::axes_of(batch + free_a + free_b, e.out));
}

}  // namespace ksave::plugins::einsum
