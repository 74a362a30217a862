#include "ksave/attrs.hpp"

namespace ksave {

Attrs& Attrs::set(std::string name, AttrValue value) {
  for (auto& item : items_)
    if (item.first == name) {
      item.second = std::move(value);
      return *this;
    }
  items_.emplace_back(std::move(name), std::move(value));
  return *this;
}

const AttrValue* Attrs::find(std::string_view name) const {
  for (const auto& item : items_)
    if (item.first == name) return &item.second;
  return nullptr;
}

}  // namespace ksave
