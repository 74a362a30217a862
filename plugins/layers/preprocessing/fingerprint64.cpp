// farmhashna::Hash64 written from FarmHash 1.1's specification: little-endian 64- and 32-bit
// loads, its three odd constants, and separate paths for 0-16, 17-32, 33-64 and longer inputs
// (64-byte blocks, then the last 64 bytes again). All arithmetic wraps modulo 2^64.
#include "fingerprint64.hpp"

#include <utility>

namespace ksave::plugins::preprocessing {
namespace {

using u64 = std::uint64_t;
using Pair = std::pair<u64, u64>;

constexpr u64 k0 = 0xc3a5c85c97cb3127ULL;
constexpr u64 k1 = 0xb492b66fbe98f273ULL;
constexpr u64 k2 = 0x9ae16a3b2f90404fULL;

// Loads are little-endian whatever the host, as FarmHash's fingerprints are defined.
u64 fetch64(const char* p) {
  u64 v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
u64 fetch32(const char* p) {
  u64 v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

u64 rotate(u64 v, int shift) { return shift == 0 ? v : (v >> shift) | (v << (64 - shift)); }
u64 shift_mix(u64 v) { return v ^ (v >> 47); }

u64 hash_len16(u64 u, u64 v, u64 mul) {
  u64 a = (u ^ v) * mul;
  a ^= a >> 47;
  u64 b = (v ^ a) * mul;
  b ^= b >> 47;
  return b * mul;
}

u64 hash_len0to16(const char* s, u64 len) {
  if (len >= 8) {
    const u64 mul = k2 + len * 2;
    const u64 a = fetch64(s) + k2;
    const u64 b = fetch64(s + len - 8);
    const u64 c = rotate(b, 37) * mul + a;
    const u64 d = (rotate(a, 25) + b) * mul;
    return hash_len16(c, d, mul);
  }
  if (len >= 4) {
    const u64 mul = k2 + len * 2;
    return hash_len16(len + (fetch32(s) << 3), fetch32(s + len - 4), mul);
  }
  if (len > 0) {
    const std::uint32_t a = static_cast<unsigned char>(s[0]), b = static_cast<unsigned char>(s[len >> 1]),
                        c = static_cast<unsigned char>(s[len - 1]);
    const std::uint32_t y = a + (b << 8);
    const std::uint32_t z = static_cast<std::uint32_t>(len) + (c << 2);
    return shift_mix(y * k2 ^ z * k0) * k2;
  }
  return k2;
}

u64 hash_len17to32(const char* s, u64 len) {
  const u64 mul = k2 + len * 2;
  const u64 a = fetch64(s) * k1, b = fetch64(s + 8);
  const u64 c = fetch64(s + len - 8) * mul, d = fetch64(s + len - 16) * k2;
  return hash_len16(rotate(a + b, 43) + rotate(c, 30) + d, a + rotate(b + k2, 18) + c, mul);
}

// 16 bytes of state from 32 bytes of input and two seeds ("quick and dirty", in FarmHash's words).
Pair weak_hash_len32_with_seeds(const char* s, u64 a, u64 b) {
  const u64 w = fetch64(s), x = fetch64(s + 8), y = fetch64(s + 16), z = fetch64(s + 24);
  a += w;
  b = rotate(b + a + z, 21);
  const u64 c = a;
  a += x;
  a += y;
  b += rotate(a, 44);
  return {a + z, b + c};
}

u64 hash_len33to64(const char* s, u64 len) {
  const u64 mul = k2 + len * 2;
  const u64 a = fetch64(s) * k2, b = fetch64(s + 8);
  const u64 c = fetch64(s + len - 8) * mul, d = fetch64(s + len - 16) * k2;
  const u64 y = rotate(a + b, 43) + rotate(c, 30) + d;
  const u64 z = hash_len16(y, a + rotate(b + k2, 18) + c, mul);
  const u64 e = fetch64(s + 16) * mul, f = fetch64(s + 24);
  const u64 g = (y + fetch64(s + len - 32)) * mul, h = (z + fetch64(s + len - 24)) * mul;
  return hash_len16(rotate(e + f, 43) + rotate(g, 30) + h, e + rotate(f + a, 18) + g, mul);
}

u64 hash_longer(const char* s, u64 len) {
  constexpr u64 seed = 81;
  u64 x = seed, y = seed * k1 + 113, z = shift_mix(y * k2 + 113) * k2;
  Pair v{0, 0}, w{0, 0};
  x = x * k2 + fetch64(s);
  // Whole 64-byte blocks while more than 64 bytes remain, then the last 64 bytes (overlapping).
  const char* end = s + ((len - 1) / 64) * 64;
  const char* last64 = s + len - 64;
  do {
    x = rotate(x + y + v.first + fetch64(s + 8), 37) * k1;
    y = rotate(y + v.second + fetch64(s + 48), 42) * k1;
    x ^= w.second;
    y += v.first + fetch64(s + 40);
    z = rotate(z + w.first, 33) * k1;
    v = weak_hash_len32_with_seeds(s, v.second * k1, x + w.first);
    w = weak_hash_len32_with_seeds(s + 32, z + w.second, y + fetch64(s + 16));
    std::swap(z, x);
    s += 64;
  } while (s != end);
  const u64 mul = k1 + ((z & 0xff) << 1);
  s = last64;
  w.first += (len - 1) & 63;
  v.first += w.first;
  w.first += v.first;
  x = rotate(x + y + v.first + fetch64(s + 8), 37) * mul;
  y = rotate(y + v.second + fetch64(s + 48), 42) * mul;
  x ^= w.second * 9;
  y += v.first * 9 + fetch64(s + 40);
  z = rotate(z + w.first, 33) * mul;
  v = weak_hash_len32_with_seeds(s, v.second * mul, x + w.first);
  w = weak_hash_len32_with_seeds(s + 32, z + w.second, y + fetch64(s + 16));
  std::swap(z, x);
  return hash_len16(hash_len16(v.first, w.first, mul) + shift_mix(y) * k0 + z, hash_len16(v.second, w.second, mul) + x, mul);
}

}  // namespace

std::uint64_t fingerprint64(std::string_view bytes) {
  const char* s = bytes.data();
  const u64 len = bytes.size();
  if (len <= 16) return hash_len0to16(s, len);
  if (len <= 32) return hash_len17to32(s, len);
  if (len <= 64) return hash_len33to64(s, len);
  return hash_longer(s, len);
}

std::uint64_t fingerprint_cat64(std::uint64_t fp1, std::uint64_t fp2) {
  constexpr std::uint64_t kMul = 0xc6a4a7935bd1e995ULL;
  std::uint64_t result = fp1 ^ kMul;
  result ^= shift_mix(fp2 * kMul) * kMul;
  result *= kMul;
  result = shift_mix(result) * kMul;
  return shift_mix(result);
}

}  // namespace ksave::plugins::preprocessing
