// CRC-32C with a run-time choice between the SSE4.2 instruction and a slicing-by-8 table.
#include "ksave/tf/crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace ksave::tf::crc32c {
namespace {

constexpr std::uint32_t kPolynomial = 0x82F63B78u;  // reflected Castagnoli polynomial

using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr Tables make_tables() {
  Tables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t i = 0; i < 256; ++i)
    for (std::size_t k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  return t;
}

constexpr Tables kTables = make_tables();

// Slicing-by-8 over the inverted register (the caller inverts before and after).
std::uint32_t extend_table(std::uint32_t c, const unsigned char* p, std::size_t n) {
  while (n >= 8) {
    std::uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = kTables[7][lo & 0xff] ^ kTables[6][(lo >> 8) & 0xff] ^ kTables[5][(lo >> 16) & 0xff] ^
        kTables[4][lo >> 24] ^ kTables[3][hi & 0xff] ^ kTables[2][(hi >> 8) & 0xff] ^
        kTables[1][(hi >> 16) & 0xff] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) c = kTables[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return c;
}

#if defined(__x86_64__)
// One stream of the crc32 instruction is bound by its 3-cycle latency. Three independent
// streams over consecutive blocks run in parallel; their raw (non-inverted) registers are then
// joined with the CRC's linearity: crc(A‖B) = shift(crc(A), |B|) ^ crc0(B), where shift(c, n)
// is the register after n zero bytes, a linear map applied through four 256-entry tables.
constexpr std::size_t kStreamBlock = 8192;

__attribute__((target("sse4.2"))) std::uint64_t raw_sse42(std::uint64_t c, const unsigned char* p, std::size_t n) {
  while (n >= 8) {
    std::uint64_t a;
    std::memcpy(&a, p, 8);
    c = _mm_crc32_u64(c, a);
    p += 8;
    n -= 8;
  }
  std::uint32_t c32 = static_cast<std::uint32_t>(c);
  while (n--) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}

struct ShiftTables {
  std::array<std::array<std::uint32_t, 256>, 4> t{};
  ShiftTables() {
    static const std::array<unsigned char, kStreamBlock> zeros{};
    std::array<std::uint32_t, 32> basis{};
    for (int i = 0; i < 32; ++i)
      basis[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(raw_sse42(1u << i, zeros.data(), zeros.size()));
    for (std::size_t k = 0; k < 4; ++k)
      for (std::size_t b = 0; b < 256; ++b) {
        std::uint32_t v = 0;
        for (std::size_t j = 0; j < 8; ++j)
          if (b & (1u << j)) v ^= basis[8 * k + j];
        t[k][b] = v;
      }
  }
  std::uint32_t shift(std::uint32_t c) const {
    return t[0][c & 0xff] ^ t[1][(c >> 8) & 0xff] ^ t[2][(c >> 16) & 0xff] ^ t[3][c >> 24];
  }
};

__attribute__((target("sse4.2"))) std::uint32_t extend_sse42(std::uint32_t c, const unsigned char* p,
                                                              std::size_t n) {
  std::uint64_t c64 = c;
  if (n >= 3 * kStreamBlock) {
    static const ShiftTables tables;
    while (n >= 3 * kStreamBlock) {
      std::uint64_t a = c64, b = 0, d = 0;
      const unsigned char* pa = p;
      const unsigned char* pb = p + kStreamBlock;
      const unsigned char* pd = p + 2 * kStreamBlock;
      for (std::size_t i = 0; i < kStreamBlock; i += 8) {
        std::uint64_t x, y, z;
        std::memcpy(&x, pa + i, 8);
        std::memcpy(&y, pb + i, 8);
        std::memcpy(&z, pd + i, 8);
        a = _mm_crc32_u64(a, x);
        b = _mm_crc32_u64(b, y);
        d = _mm_crc32_u64(d, z);
      }
      const std::uint32_t ab = tables.shift(static_cast<std::uint32_t>(a)) ^ static_cast<std::uint32_t>(b);
      c64 = tables.shift(ab) ^ static_cast<std::uint32_t>(d);
      p += 3 * kStreamBlock;
      n -= 3 * kStreamBlock;
    }
  }
  return static_cast<std::uint32_t>(raw_sse42(c64, p, n));
}

bool detect_sse42() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}
const bool kHaveSse42 = detect_sse42();
#else
constexpr bool kHaveSse42 = false;
#endif

}  // namespace

std::uint32_t extend(std::uint32_t crc, const void* data, std::size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint32_t c = crc ^ 0xFFFFFFFFu;
#if defined(__x86_64__)
  if (kHaveSse42) return extend_sse42(c, p, size) ^ 0xFFFFFFFFu;
#endif
  return extend_table(c, p, size) ^ 0xFFFFFFFFu;
}

std::uint32_t extend_portable(std::uint32_t crc, const void* data, std::size_t size) {
  return extend_table(crc ^ 0xFFFFFFFFu, static_cast<const unsigned char*>(data), size) ^ 0xFFFFFFFFu;
}

bool hardware_accelerated() { return kHaveSse42; }

}  // namespace ksave::tf::crc32c
