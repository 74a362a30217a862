// Shapes. A concrete tensor has only known dimensions; a symbolic (Keras) shape may hold
// kUnknown for "None", most often the batch dimension.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "ksave/json.hpp"

namespace ksave {

using Dim = std::int64_t;
inline constexpr Dim kUnknown = -1;
// std::vector's interface with up to 8 dimensions held inside the object: copying a Tensor (and
// so its shape) or making an op's output shape then allocates nothing, which a steady-state
// predict relies on. Higher ranks (rare: oneDNN stops at 12) spill to the heap as a vector does.
// Not a std::vector: a list of ints meant as a shape (an op attribute, a JSON array) converts
// explicitly, through to_shape / to_dims.
using Shape = boost::container::small_vector<Dim, 8>;

inline Shape to_shape(std::span<const Dim> dims) { return Shape(dims.begin(), dims.end()); }
inline std::vector<Dim> to_dims(const Shape& shape) { return std::vector<Dim>(shape.begin(), shape.end()); }

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
