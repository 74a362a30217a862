#include "string_tensor.hpp"

#include <cstdio>
#include <cstring>

#include "ksave/error.hpp"
#include "ksave/tf/crc32c.hpp"

namespace ksave::tf {
namespace {

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// The length crc covers each length as a fixed-width little-endian integer, not as a varint.
std::uint32_t extend_with_length(std::uint32_t crc, std::uint64_t length) {
  unsigned char buf[8];
  const int width = length <= 0xFFFFFFFFull ? 4 : 8;
  for (int i = 0; i < width; ++i) buf[i] = static_cast<unsigned char>(length >> (8 * i));
  return crc32c::extend(crc, buf, static_cast<std::size_t>(width));
}

void put_fixed32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

}  // namespace

EncodedStrings encode_string_tensor(const Tensor& value) {
  const auto& strings = value.string_values();
  EncodedStrings out;
  std::uint32_t length_crc = 0;
  std::size_t total = 0;
  for (const auto& s : strings) {
    put_varint(out.bytes, s.size());
    length_crc = extend_with_length(length_crc, s.size());
    total += s.size();
  }
  const std::uint32_t masked = crc32c::mask(length_crc);
  const std::size_t crc_at = out.bytes.size();
  put_fixed32(out.bytes, masked);
  out.bytes.reserve(out.bytes.size() + total);
  std::uint32_t crc = crc32c::extend(length_crc, out.bytes.data() + crc_at, 4);
  for (const auto& s : strings) {
    out.bytes += s;
    crc = crc32c::extend(crc, s.data(), s.size());
  }
  out.crc = crc;
  return out;
}

Tensor decode_string_tensor(const std::string& bytes, const Shape& shape, std::int64_t count, std::uint32_t stored_crc,
                            const std::string& what) {
  Tensor out(DType::String, shape);
  if (bytes.empty()) {
    if (count != 0) throw Error(what + ": no bytes stored for " + std::to_string(count) + " strings");
    return out;
  }
  const char* p = bytes.data();
  const char* end = p + bytes.size();
  std::vector<std::uint64_t> lengths(static_cast<std::size_t>(count));
  std::uint32_t length_crc = 0;
  std::uint64_t total = 0;
  for (auto& len : lengths) {
    len = 0;
    bool done = false;
    for (int shift = 0; shift <= 63 && p < end; shift += 7) {
      const auto b = static_cast<unsigned char>(*p++);
      len |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        done = true;
        break;
      }
    }
    if (!done) throw Error(what + ": string lengths run past the stored bytes");
    length_crc = extend_with_length(length_crc, len);
    total += len;
    if (total > bytes.size()) throw Error(what + ": string lengths add up to more than the " + std::to_string(bytes.size()) + " stored bytes");
  }
  if (end - p < 4) throw Error(what + ": missing the crc of the string lengths");
  std::uint32_t masked = 0;
  for (int i = 0; i < 4; ++i) masked |= static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  if (crc32c::unmask(masked) != length_crc)
    throw Error(what + ": data corrupted, the crc32c of the string lengths does not match");
  std::uint32_t crc = crc32c::extend(length_crc, p, 4);
  p += 4;
  if (static_cast<std::uint64_t>(end - p) != total)
    throw Error(what + ": " + std::to_string(end - p) + " string bytes stored, the lengths say " + std::to_string(total));
  auto& values = out.string_values();
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    values[i].assign(p, lengths[i]);
    crc = crc32c::extend(crc, p, lengths[i]);
    p += lengths[i];
  }
  if (crc != stored_crc) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "stored 0x%08x, computed 0x%08x", stored_crc, crc);
    throw Error(what + ": data corrupted, crc32c mismatch (" + std::string(buf) + ")");
  }
  return out;
}

}  // namespace ksave::tf
