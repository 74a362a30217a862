// Attributes of one op call (transpose flags, axes, strides, padding). Kept as a small vector of
// name/value pairs: an op call carries a handful of them and a lookup is a short scan, cheaper
// than a map on the per-call path. Up to four pairs live inside the object and lookups take a
// string_view, so an op call with a few scalar attributes (names of up to 15 characters, which
// std::string keeps inline) allocates nothing. Names and meanings follow TensorFlow's op
// attributes so the SavedModel writer can emit them unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "ksave/error.hpp"

namespace ksave {

using AttrValue = std::variant<bool, std::int64_t, double, std::string, std::vector<std::int64_t>,
                               std::vector<double>>;

class Attrs {
 public:
  using Item = std::pair<std::string, AttrValue>;
  using Items = boost::container::small_vector<Item, 4>;

  Attrs() = default;
  Attrs(std::initializer_list<Item> items) : items_(items) {}

  Attrs& set(std::string name, AttrValue value);
  bool has(std::string_view name) const { return find(name) != nullptr; }
  const AttrValue* find(std::string_view name) const;

  template <typename T>
  const T& get(std::string_view name) const {
    const AttrValue* v = find(name);
    if (!v) throw Error("op attribute '" + std::string(name) + "' is missing");
    if (const T* typed = std::get_if<T>(v)) return *typed;
    throw Error("op attribute '" + std::string(name) + "' has another type than requested");
  }
  template <typename T>
  T get_or(std::string_view name, T fallback) const {
    const AttrValue* v = find(name);
    if (!v) return fallback;
    if (const T* typed = std::get_if<T>(v)) return *typed;
    throw Error("op attribute '" + std::string(name) + "' has another type than requested");
  }
  const Items& items() const { return items_; }

 private:
  Items items_;
};

}  // namespace ksave
