// NumPy .npy files (format versions 1.0 to 3.0): the CLI's inputs and outputs, and the fixtures'
// expected values.
#pragma once

#include <filesystem>

#include "ksave/tensor.hpp"

namespace ksave {

// Reads little- or big-endian numeric and bool arrays in C or Fortran order; the result is in
// C order. String arrays ('S<n>' bytes, 'U<n>' text as UTF-8) become DType::String tensors. Errors name the file and what was wrong (bad magic, truncated data, object arrays).
Tensor read_npy(const std::filesystem::path& path);
// Writes a little-endian, C-order .npy (version 1.0), atomically; string tensors as 'S<n>'
// bytes (NumPy's np.bytes_), n the longest element.
void write_npy(const std::filesystem::path& path, const Tensor& tensor);

}  // namespace ksave
