// Attributes of one op call (transpose flags, axes, strides, padding). Kept as a small vector of
// name/value pairs: an op call carries a handful of them and a lookup is a short scan, cheaper
// than a map on the per-call path. Names and meanings follow TensorFlow's op attributes so the
// SavedModel writer can emit them unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "ksave/error.hpp"

namespace ksave {

using AttrValue = std::variant<bool, std::int64_t, double, std::string, std::vector<std::int64_t>,
                               std::vector<double>>;

class Attrs {
 public:
  Attrs() = default;
  Attrs(std::initializer_list<std::pair<std::string, AttrValue>> items) : items_(items) {}

  Attrs& set(std::string name, AttrValue value);
  bool has(const std::string& name) const { return find(name) != nullptr; }
  const AttrValue* find(const std::string& name) const;

  template <typename T>
  const T& get(const std::string& name) const {
    const AttrValue* v = find(name);
    if (!v) throw Error("op attribute '" + name + "' is missing");
    if (const T* typed = std::get_if<T>(v)) return *typed;
    throw Error("op attribute '" + name + "' has another type than requested");
  }
  template <typename T>
  T get_or(const std::string& name, T fallback) const {
    const AttrValue* v = find(name);
    if (!v) return fallback;
    if (const T* typed = std::get_if<T>(v)) return *typed;
    throw Error("op attribute '" + name + "' has another type than requested");
  }
  const std::vector<std::pair<std::string, AttrValue>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, AttrValue>> items_;
};

}  // namespace ksave
