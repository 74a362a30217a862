// SipHash-2-4 from its specification: the key halves k0, k1 initialise four words with the
// constants "somepseudorandomlygeneratedbytes"; each little-endian 8-byte block goes through two
// SipRounds; the last block holds the leftover bytes and the length (mod 256) in its top byte;
// finalisation xors 0xff into v2 and runs four SipRounds.
#include "siphash.hpp"

namespace ksave::plugins::preprocessing {
namespace {

using u64 = std::uint64_t;

u64 rotl(u64 v, int shift) { return (v << shift) | (v >> (64 - shift)); }

struct State {
  u64 v0, v1, v2, v3;

  void round() {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  }
  void absorb(u64 m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

}  // namespace

std::uint64_t siphash24(const std::array<std::uint64_t, 2>& key, std::string_view bytes) {
  State s{key[0] ^ 0x736f6d6570736575ULL, key[1] ^ 0x646f72616e646f6dULL, key[0] ^ 0x6c7967656e657261ULL,
          key[1] ^ 0x7465646279746573ULL};
  const std::size_t whole = bytes.size() / 8 * 8;
  for (std::size_t i = 0; i < whole; i += 8) {
    u64 m = 0;
    for (int b = 7; b >= 0; --b) m = (m << 8) | static_cast<unsigned char>(bytes[i + static_cast<std::size_t>(b)]);
    s.absorb(m);
  }
  u64 last = static_cast<u64>(bytes.size() & 0xff) << 56;
  for (std::size_t i = whole; i < bytes.size(); ++i) last |= static_cast<u64>(static_cast<unsigned char>(bytes[i])) << (8 * (i - whole));
  s.absorb(last);
  s.v2 ^= 0xff;
  for (int r = 0; r < 4; ++r) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace ksave::plugins::preprocessing
