#include "ksave/shape.hpp"

#include <limits>

#include "ksave/error.hpp"

namespace ksave {

std::int64_t num_elements(const Shape& shape) {
  std::int64_t n = 1;
  for (Dim d : shape) {
    if (d < 0) throw Error("shape " + shape_to_string(shape) + " has an unknown dimension");
    if (d != 0 && n > std::numeric_limits<std::int64_t>::max() / d)
      throw Error("shape " + shape_to_string(shape) + " has too many elements");
    n *= d;
  }
  return n;
}

std::string shape_to_string(const Shape& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += shape[i] < 0 ? "None" : std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

Json shape_to_json(const Shape& shape) {
  Json list = Json::array();
  for (Dim d : shape) list.push_back(d < 0 ? Json(nullptr) : Json(d));
  return list;
}

Shape shape_from_json(const Json& value, const std::string& what) {
  if (!value.is_array()) throw Error(what + ": expected a list of dimensions, found " + value.dump());
  Shape shape;
  for (const auto& d : value) {
    if (d.is_null()) {
      shape.push_back(kUnknown);
    } else if (d.is_number_integer() || (d.is_number_float() && d.get<double>() == static_cast<double>(d.get<std::int64_t>()))) {
      Dim v = d.get<Dim>();
      if (v < 0) throw Error(what + ": negative dimension in " + value.dump());
      shape.push_back(v);
    } else {
      throw Error(what + ": expected integers or null, found " + value.dump());
    }
  }
  return shape;
}

bool shapes_compatible(const Shape& declared, const Shape& actual) {
  if (declared.size() != actual.size()) return false;
  for (std::size_t i = 0; i < declared.size(); ++i)
    if (declared[i] >= 0 && actual[i] >= 0 && declared[i] != actual[i]) return false;
  return true;
}

}  // namespace ksave
