#include "getitem.hpp"

#include <algorithm>

#include "ksave/ops.hpp"

namespace ksave::plugins::tf_op {
namespace {

using namespace call_arguments::slice_spec;

// The positions a slice selects on an axis of n.
std::vector<std::int64_t> positions(const Json& slice, std::int64_t n, const std::string& object) {
  const Indices s = indices(slice, n, object);
  std::vector<std::int64_t> out;
  for (std::int64_t i = s.start; s.step > 0 ? i < s.stop : i > s.stop; i += s.step) out.push_back(i);
  return out;
}

Tensor take_positions(const Tensor& x, int axis, const std::vector<std::int64_t>& picked) {
  const std::int64_t n = x.dim(axis);
  const bool contiguous = std::adjacent_find(picked.begin(), picked.end(), [](std::int64_t a, std::int64_t b) {
                            return b != a + 1;
                          }) == picked.end();
  if (contiguous && static_cast<std::int64_t>(picked.size()) == n) return x;
  if (contiguous && !picked.empty()) {
    std::vector<std::int64_t> begin(static_cast<std::size_t>(x.rank()), 0), size(static_cast<std::size_t>(x.rank()), -1);
    begin[static_cast<std::size_t>(axis)] = picked.front();
    size[static_cast<std::size_t>(axis)] = static_cast<std::int64_t>(picked.size());
    return ops::slice(x, begin, size);
  }
  Tensor indices = Tensor::from_vector(picked, {static_cast<Dim>(picked.size())});
  return ops::gather(x, indices, axis);
}

}  // namespace

Tensors getitem(const OpArguments& a) {
  a.allow_only({"slice_spec", "var"});
  Tensor y = a.first();
  const Json expanded = call_arguments::slice_spec::expanded(a.value("slice_spec"), y.rank(), a.object());

  int axis = 0;
  std::vector<std::int64_t> dropped;  // axes indexed by an int, squeezed at the end
  for (const auto& e : expanded) {
    if (e.is_null()) {
      y = ops::expand_dims(y, axis++);
    } else if (e.is_number_integer()) {
      std::int64_t i = e.get<std::int64_t>(), n = y.dim(axis);
      if (i < -n || i >= n)
        throw Error(a.object() + ": index " + std::to_string(i) + " is out of range for an axis of " + std::to_string(n));
      y = take_positions(y, axis, {i < 0 ? i + n : i});
      dropped.push_back(axis++);
    } else if (is_slice(e)) {
      y = take_positions(y, axis, positions(e, y.dim(axis), a.object()));
      ++axis;
    } else {
      throw Error(a.object() + ": unsupported slice_spec element " + e.dump().substr(0, 80) +
                  " (boolean masks and tensors as indices are not supported)");
    }
  }
  return {dropped.empty() ? y : ops::squeeze(y, dropped)};
}

}  // namespace ksave::plugins::tf_op
