#include "serialization/keras3_split_sections.hpp"

#include <vector>

#include "ksave/error.hpp"

namespace ksave::keras3_operations {
namespace {

std::vector<std::int64_t> integers(const Json& list, const std::string& object, const char* what) {
  std::vector<std::int64_t> out;
  if (!list.is_array()) throw Error(object + ": " + what + " must be a list of integers, found " + list.dump().substr(0, 80));
  for (const auto& v : list) {
    if (!v.is_number_integer()) throw Error(object + ": " + what + " must be a list of integers, found " + list.dump().substr(0, 80));
    out.push_back(v.get<std::int64_t>());
  }
  return out;
}

std::int64_t known(std::optional<std::int64_t> length, const std::string& object) {
  if (!length) throw Error(object + ": the split axis has no known length, which converting between indices and sizes needs");
  return *length;
}

}  // namespace

std::optional<std::int64_t> axis_length(const Json& keras_tensor, std::int64_t axis) {
  if (!keras_tensor.is_object() || !keras_tensor.contains("config")) return std::nullopt;
  const Json shape = keras_tensor["config"].value("shape", Json());
  if (!shape.is_array()) return std::nullopt;
  const auto rank = static_cast<std::int64_t>(shape.size());
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank || !shape[static_cast<std::size_t>(axis)].is_number_integer()) return std::nullopt;
  return shape[static_cast<std::size_t>(axis)].get<std::int64_t>();
}

Json sizes_from_indices(const Json& indices, std::optional<std::int64_t> length, const std::string& object) {
  const std::int64_t n = known(length, object);
  Json sizes = Json::array();
  std::int64_t previous = 0;
  for (std::int64_t index : integers(indices, object, "indices_or_sections")) {
    if (index < previous || index > n)
      throw Error(object + ": split indices " + indices.dump() + " are not nondecreasing within [0, " + std::to_string(n) +
                  "], so tf.split has no sizes for them");
    sizes.push_back(index - previous);
    previous = index;
  }
  sizes.push_back(n - previous);
  return sizes;
}

Json indices_from_sizes(const Json& sizes, std::optional<std::int64_t> length, const std::string& object) {
  std::vector<std::int64_t> values = integers(sizes, object, "num_or_size_splits");
  std::int64_t given = 0, unknown = 0;
  for (std::int64_t v : values) (v == -1 ? unknown : given) += v == -1 ? 1 : v;
  if (unknown > 1) throw Error(object + ": split sizes " + sizes.dump() + " have more than one -1");
  if (unknown == 1)
    for (auto& v : values)
      if (v == -1) v = known(length, object) - given;
  Json indices = Json::array();
  std::int64_t at = 0;
  for (std::size_t i = 0; i + 1 < values.size(); ++i) indices.push_back(at += values[i]);
  return indices;
}

}  // namespace ksave::keras3_operations
