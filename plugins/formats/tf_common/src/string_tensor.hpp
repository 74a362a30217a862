// TensorFlow's layout of a DT_STRING tensor in a data file (tensor_bundle.cc): the element
// lengths as varints, a masked crc32c of those lengths taken as 4-byte little-endian integers
// (8 bytes for lengths over 4 GiB), then the concatenated bytes.
#pragma once

#include <cstdint>
#include <string>

#include "ksave/tensor.hpp"

namespace ksave::tf {

struct EncodedStrings {
  std::string bytes;
  std::uint32_t crc = 0;  // unmasked crc32c for the bundle entry, as TensorFlow computes it
};

EncodedStrings encode_string_tensor(const Tensor& value);
// `stored_crc` is the entry's unmasked crc; errors name `what`.
Tensor decode_string_tensor(const std::string& bytes, const Shape& shape, std::int64_t count,
                            std::uint32_t stored_crc, const std::string& what);

}  // namespace ksave::tf
