// Shapes. A concrete tensor has only known dimensions; a symbolic (Keras) shape may hold
// kUnknown for "None", most often the batch dimension.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ksave/json.hpp"

namespace ksave {

using Dim = std::int64_t;
inline constexpr Dim kUnknown = -1;
using Shape = std::vector<Dim>;

// Product of the dimensions; throws on an unknown or negative dimension or on overflow.
std::int64_t num_elements(const Shape& shape);
// Keras's text form: "(None, 64)", "(3,)".
std::string shape_to_string(const Shape& shape);
// JSON list with null for unknown dims, as Keras writes batch_input_shape.
Json shape_to_json(const Shape& shape);
// Reads a JSON list of ints and nulls; `what` names the field in the error message.
Shape shape_from_json(const Json& value, const std::string& what);
bool shapes_compatible(const Shape& declared, const Shape& actual);

}  // namespace ksave
