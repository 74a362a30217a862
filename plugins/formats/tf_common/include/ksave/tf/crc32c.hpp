// CRC-32C (Castagnoli) as TensorFlow and LevelDB use it: plain values, running extension, and
// the "masked" form stored in files (a CRC stored next to the data it covers is masked so that a
// CRC of data that itself contains CRCs stays well distributed).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ksave::tf::crc32c {

// Continues `crc` (the value of the bytes so far; 0 to start) over `size` more bytes. Uses the
// SSE4.2 crc32 instruction when the CPU has it, a table otherwise.
std::uint32_t extend(std::uint32_t crc, const void* data, std::size_t size);
// The table-driven path alone (tests compare it with the hardware path).
std::uint32_t extend_portable(std::uint32_t crc, const void* data, std::size_t size);
inline std::uint32_t value(const void* data, std::size_t size) { return extend(0, data, size); }

constexpr std::uint32_t kMaskDelta = 0xa282ead8u;
constexpr std::uint32_t mask(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
constexpr std::uint32_t unmask(std::uint32_t masked) {
  const std::uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

// True when extend() runs on the hardware instruction (for benchmarks and reports).
bool hardware_accelerated();

}  // namespace ksave::tf::crc32c
