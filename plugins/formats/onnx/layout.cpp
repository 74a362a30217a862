#include "layout.hpp"

#include <algorithm>
#include <numeric>

#include "ksave/error.hpp"

namespace ksave::plugins::onnx_export {

Perm identity_perm(std::size_t rank) {
  Perm p(rank);
  std::iota(p.begin(), p.end(), std::int64_t{0});
  return p;
}

Perm spelled_out(const Perm& perm, std::size_t rank) { return perm.empty() ? identity_perm(rank) : perm; }

bool is_identity(const Perm& perm) {
  for (std::size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<std::int64_t>(i)) return false;
  return true;
}

Perm inverse(const Perm& perm) {
  Perm inv(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) inv[static_cast<std::size_t>(perm[i])] = static_cast<std::int64_t>(i);
  return inv;
}

Perm relative(const Perm& from, const Perm& to, std::size_t rank) {
  // held_in_to[i] = keras[to[i]] = held_in_from[inverse(from)[to[i]]].
  const Perm inv = inverse(spelled_out(from, rank));
  const Perm target = spelled_out(to, rank);
  Perm rel(rank);
  for (std::size_t i = 0; i < rank; ++i) rel[i] = inv[static_cast<std::size_t>(target[i])];
  return rel;
}

std::int64_t onnx_axis(const Perm& perm, std::int64_t keras_axis, std::size_t rank) {
  const auto r = static_cast<std::int64_t>(rank);
  const std::int64_t axis = keras_axis < 0 ? keras_axis + r : keras_axis;
  if (axis < 0 || axis >= r)
    throw Error("axis " + std::to_string(keras_axis) + " is outside a tensor of rank " + std::to_string(rank));
  if (perm.empty()) return axis;
  const auto found = std::find(perm.begin(), perm.end(), axis);
  return static_cast<std::int64_t>(found - perm.begin());
}

Perm channels_first_perm(std::size_t rank) {
  Perm p{0, static_cast<std::int64_t>(rank) - 1};
  for (std::size_t i = 1; i + 1 < rank; ++i) p.push_back(static_cast<std::int64_t>(i));
  return p;
}

Perm channels_last_perm(std::size_t rank) { return inverse(channels_first_perm(rank)); }

Perm without_axes(const Perm& perm, const std::vector<std::int64_t>& removed, std::size_t rank) {
  const Perm full = spelled_out(perm, rank);
  Perm kept;
  for (std::int64_t axis : full)
    if (std::find(removed.begin(), removed.end(), axis) == removed.end()) kept.push_back(axis);
  // Renumber the kept Keras axes 0..n-1 in their Keras order.
  Perm sorted = kept;
  std::sort(sorted.begin(), sorted.end());
  for (std::int64_t& axis : kept)
    axis = static_cast<std::int64_t>(std::lower_bound(sorted.begin(), sorted.end(), axis) - sorted.begin());
  return kept;
}

Shape permuted_shape(const Shape& keras_shape, const Perm& perm) {
  if (perm.empty()) return keras_shape;
  Shape out;
  for (std::int64_t axis : perm) out.push_back(keras_shape.at(static_cast<std::size_t>(axis)));
  return out;
}

}  // namespace ksave::plugins::onnx_export
