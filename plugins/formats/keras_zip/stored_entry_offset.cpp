#include "stored_entry_offset.hpp"

#include <fstream>
#include <vector>

namespace ksave::plugins::keras_zip {
namespace {

constexpr std::uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50, kEndOfDirectory = 0x06054b50,
                        kZip64Locator = 0x07064b50, kZip64EndOfDirectory = 0x06064b50;
constexpr std::uint64_t kMaxComment = 0xffff, kEndSize = 22, kLocatorSize = 20;
// A Keras archive's directory lists a handful of entries; a bigger one is left to libzip.
constexpr std::uint64_t kMaxDirectory = 16u << 20;

// Little-endian fields of a byte buffer, bounds-checked (a failed read yields nothing).
struct Bytes {
  std::vector<unsigned char> data;
  bool has(std::uint64_t at, std::uint64_t n) const { return at <= data.size() && n <= data.size() - at; }
  std::uint64_t le(std::uint64_t at, int n) const {
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | data[at + static_cast<std::uint64_t>(i)];
    return v;
  }
};

std::optional<Bytes> read_at(std::ifstream& in, std::uint64_t at, std::uint64_t n) {
  Bytes b{std::vector<unsigned char>(n)};
  in.clear();
  in.seekg(static_cast<std::streamoff>(at));
  if (!in.read(reinterpret_cast<char*>(b.data.data()), static_cast<std::streamsize>(n))) return std::nullopt;
  return b;
}

struct Directory {
  std::uint64_t offset, size;
};

// The central directory's place, from the end-of-directory record (zip64's when it says so).
std::optional<Directory> find_directory(std::ifstream& in, std::uint64_t file_size) {
  const std::uint64_t tail_size = std::min(file_size, kEndSize + kMaxComment + kLocatorSize);
  const std::uint64_t tail_start = file_size - tail_size;
  auto tail = read_at(in, tail_start, tail_size);
  if (!tail || tail_size < kEndSize) return std::nullopt;
  for (std::uint64_t at = tail_size - kEndSize + 1; at-- > 0;) {
    if (tail->le(at, 4) != kEndOfDirectory) continue;
    Directory d{tail->le(at + 16, 4), tail->le(at + 12, 4)};
    if (d.offset == 0xffffffff || d.size == 0xffffffff) {  // zip64: the locator sits just before
      if (at < kLocatorSize || tail->le(at - kLocatorSize, 4) != kZip64Locator) return std::nullopt;
      auto record = read_at(in, tail->le(at - kLocatorSize + 8, 8), 56);
      if (!record || record->le(0, 4) != kZip64EndOfDirectory) return std::nullopt;
      d = {record->le(48, 8), record->le(40, 8)};
    }
    if (d.offset > file_size || d.size > file_size - d.offset) return std::nullopt;
    return d;
  }
  return std::nullopt;
}

// The local header offset a central directory entry gives, from its zip64 extra field when the
// 32-bit field says so (that field lists the 64-bit values whose 32-bit fields are all ones).
std::optional<std::uint64_t> local_header_offset(const Bytes& cd, std::uint64_t at) {
  std::uint64_t offset = cd.le(at + 42, 4);
  if (offset != 0xffffffff) return offset;
  const std::uint64_t name_length = cd.le(at + 28, 2), extra_length = cd.le(at + 30, 2);
  std::uint64_t skip = (cd.le(at + 24, 4) == 0xffffffff ? 8 : 0) + (cd.le(at + 20, 4) == 0xffffffff ? 8 : 0);
  for (std::uint64_t e = at + 46 + name_length, end = e + extra_length; e + 4 <= end && cd.has(e, 4);) {
    const std::uint64_t id = cd.le(e, 2), size = cd.le(e + 2, 2);
    if (id == 0x0001 && size >= skip + 8 && cd.has(e + 4 + skip, 8)) return cd.le(e + 4 + skip, 8);
    e += 4 + size;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> stored_entry_offset(const std::filesystem::path& path, const std::string& name) {
  std::error_code ec;
  const std::uint64_t file_size = std::filesystem::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (ec || !in) return std::nullopt;
  const auto directory = find_directory(in, file_size);
  if (!directory || directory->size > kMaxDirectory) return std::nullopt;
  const auto cd = read_at(in, directory->offset, directory->size);
  if (!cd) return std::nullopt;
  for (std::uint64_t at = 0; cd->has(at, 46) && cd->le(at, 4) == kCentralHeader;) {
    const std::uint64_t name_length = cd->le(at + 28, 2);
    const std::uint64_t next = at + 46 + name_length + cd->le(at + 30, 2) + cd->le(at + 32, 2);
    if (!cd->has(at + 46, name_length)) return std::nullopt;
    if (std::string(reinterpret_cast<const char*>(cd->data.data() + at + 46), name_length) == name) {
      const auto header_at = local_header_offset(*cd, at);
      if (!header_at) return std::nullopt;
      const auto header = read_at(in, *header_at, 30);
      if (!header || header->le(0, 4) != kLocalHeader) return std::nullopt;
      const std::uint64_t data_at = *header_at + 30 + header->le(26, 2) + header->le(28, 2);
      if (data_at > file_size) return std::nullopt;
      return data_at;
    }
    at = next;
  }
  return std::nullopt;
}

}  // namespace ksave::plugins::keras_zip
