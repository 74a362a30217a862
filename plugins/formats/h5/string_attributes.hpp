// String attributes as every Keras/h5py generation wrote them, and as tf.keras 2.x writes them.
//
// Reading accepts fixed-length (NULLPAD, NULLTERM, SPACEPAD) and variable-length strings,
// ASCII or UTF-8, scalar or 1-D; an empty numeric array (h5py's form of an empty list) is an
// empty list; a list split into `name0`, `name1`, ... (Keras's chunking of long attributes)
// is joined back together.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hdf5_handle.hpp"

namespace ksave::plugins::h5 {

// Keras's HDF5_OBJECT_HEADER_LIMIT: a fixed-length attribute above this cannot be created.
inline constexpr std::size_t kAttributeByteLimit = 64512;

enum class Charset { Ascii, Utf8 };

// The strings of attribute `name` (chunked or not); nullopt when neither `name` nor `name0`
// exists. Throws naming the attribute for a non-string, non-empty attribute.
std::optional<std::vector<std::string>> read_string_list(const Node& node, const std::string& name);
// A scalar string attribute (or a 1-element list); nullopt when absent.
std::optional<std::string> read_string(const Node& node, const std::string& name);
// Like read_string, throwing naming the attribute when it is absent.
std::string require_string(const Node& node, const std::string& name);

// A scalar variable-length string (how h5py stores a Python str or bytes).
void write_string(Node& node, const std::string& name, const std::string& value, Charset charset);
// A list as Keras's save_attributes_to_hdf5_group leaves it: a 1-D fixed-length NULLPAD ASCII
// array, split into `name0`, `name1`, ... as numpy.array_split would when it exceeds
// kAttributeByteLimit; an empty list is a zero-length float64 array.
void write_string_list(Node& node, const std::string& name, const std::vector<std::string>& values);

}  // namespace ksave::plugins::h5
