// The product of two tensors by an einsum equation of two operands with explicit output letters
// ("abc,cde->abde"), written with ksave's ops so that the tape differentiates it. A letter of
// both operands and the output is a batch axis, of both operands alone a contracted one, of one
// operand and the output a free one; a letter of one operand alone is summed out first. The
// product is one (batch, free_a, contracted) · (batch, contracted, free_b) matmul (a plain matmul
// without batch letters), then a transpose to the output's order.
// Shared by EinsumDense (layers/attention) and the SavedModel graph runtime's Einsum op.
#pragma once

#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

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
