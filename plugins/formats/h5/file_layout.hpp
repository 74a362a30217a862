// What the checks that read an HDF5 file's bytes without libhdf5 need to know of its layout:
// where addresses count from and how wide addresses and lengths are, and the little-endian
// decoding of the file's integers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hdf5_handle.hpp"

namespace ksave::plugins::h5 {

struct FileLayout {
  std::uint64_t base = 0;  // where addresses count from (after a user block)
  std::size_t address_size = 8, length_size = 8;
};

// The layout of the file `node` lives in (throws through node.fail when it is unreadable or
// declares widths no file has).
FileLayout layout_of(const Node& node);

inline std::uint64_t little_endian(const unsigned char* p, std::size_t n) {
  std::uint64_t value = 0;
  for (std::size_t i = n; i-- > 0;) value = value << 8 | p[i];
  return value;
}

constexpr std::uint64_t aligned8(std::uint64_t n) { return (n + 7) / 8 * 8; }

}  // namespace ksave::plugins::h5
