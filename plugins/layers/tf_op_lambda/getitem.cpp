#include "getitem.hpp"

#include <algorithm>

#include "ksave/ops.hpp"

namespace ksave::plugins::tf_op {
namespace {

bool is_ellipsis(const Json& e) { return e.is_object() && e.value("class_name", "") == "__ellipsis__"; }
bool is_slice(const Json& e) { return e.is_object() && !is_ellipsis(e); }
bool consumes_axis(const Json& e) { return e.is_number_integer() || is_slice(e); }

// An optional int bound of a slice; tensors computed by the model are refused.
std::optional<std::int64_t> bound(const Json& slice, const char* key, const std::string& object) {
  if (!slice.contains(key) || slice[key].is_null()) return std::nullopt;
  if (!slice[key].is_number_integer())
    throw Error(object + ": slice " + key + " must be a constant integer, found " + slice[key].dump().substr(0, 80));
  return slice[key].get<std::int64_t>();
}

// Python's slice.indices(n) followed by range(): the positions a slice selects.
std::vector<std::int64_t> positions(const Json& slice, std::int64_t n, const std::string& object) {
  const std::int64_t step = bound(slice, "step", object).value_or(1);
  if (step == 0) throw Error(object + ": slice step cannot be zero");
  const std::int64_t lower = step > 0 ? 0 : -1, upper = step > 0 ? n : n - 1;
  auto clamp = [&](std::optional<std::int64_t> v, std::int64_t fallback) {
    if (!v) return fallback;
    return *v < 0 ? std::max(*v + n, lower) : std::min(*v, upper);
  };
  const std::int64_t start = clamp(bound(slice, "start", object), step > 0 ? lower : upper);
  const std::int64_t stop = clamp(bound(slice, "stop", object), step > 0 ? upper : lower);
  std::vector<std::int64_t> out;
  for (std::int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(i);
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
  Json spec = a.value("slice_spec");
  if (!spec.is_array()) spec = Json::array({spec});
  const auto consumed = std::count_if(spec.begin(), spec.end(), consumes_axis);
  if (std::count_if(spec.begin(), spec.end(), is_ellipsis) > 1) throw Error(a.object() + ": more than one ellipsis");
  if (consumed > y.rank())
    throw Error(a.object() + ": " + std::to_string(consumed) + " indices for a tensor of rank " + std::to_string(y.rank()));
  const Json full = Json{{"start", nullptr}, {"stop", nullptr}, {"step", nullptr}};
  Json expanded = Json::array();
  bool saw_ellipsis = false;
  for (const auto& e : spec) {
    if (is_ellipsis(e)) {
      saw_ellipsis = true;
      for (auto i = consumed; i < y.rank(); ++i) expanded.push_back(full);
    } else {
      expanded.push_back(e);
    }
  }
  if (!saw_ellipsis)
    for (auto i = consumed; i < y.rank(); ++i) expanded.push_back(full);

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
