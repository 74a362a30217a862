// Keras 3's Split cuts its input at indices (numpy's array_split: `indices_or_sections` [2, 5]
// gives x[:2], x[2:5], x[5:]); tf.split takes the pieces' sizes ([2, 3, 1]). These convert one
// into the other for an axis whose length the call's tensor records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ksave/json.hpp"

namespace ksave::keras3_operations {

// The length of `axis` of a Keras 3 tensor ({"class_name": "__keras_tensor__", "config": {"shape"}}),
// nullopt when it is unknown (None) or the value is no such tensor.
std::optional<std::int64_t> axis_length(const Json& keras_tensor, std::int64_t axis);

// The sizes of the pieces cut at `indices` from an axis of `length`; refused, naming `object`,
// unless the indices are nondecreasing within [0, length] (numpy's overlapping pieces have no sizes).
Json sizes_from_indices(const Json& indices, std::optional<std::int64_t> length, const std::string& object);

// The indices where pieces of `sizes` are cut; one size -1 takes what the others leave of `length`.
Json indices_from_sizes(const Json& sizes, std::optional<std::int64_t> length, const std::string& object);

}  // namespace ksave::keras3_operations
