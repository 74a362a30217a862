#include "ksave/tensorboard/records.hpp"

#include <cstdint>
#include <cstring>
#include <fstream>

#include "ksave/error.hpp"
#include "ksave/tf/crc32c.hpp"

namespace ksave::tensorboard {
namespace {

namespace crc32c = ksave::tf::crc32c;

template <typename T>
void put_le(std::string& out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

template <typename T>
T get_le(const char* bytes) {
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) value |= static_cast<T>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  return value;
}

std::uint32_t masked_crc(const void* data, std::size_t size) { return crc32c::mask(crc32c::value(data, size)); }

}  // namespace

std::string frame_record(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 16);
  put_le<std::uint64_t>(out, data.size());
  put_le<std::uint32_t>(out, masked_crc(out.data(), 8));
  out.append(data);
  put_le<std::uint32_t>(out, masked_crc(data.data(), data.size()));
  return out;
}

RecordScan read_records(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open record file '" + path.string() + "'");
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  RecordScan scan;
  std::size_t at = 0;
  while (at < bytes.size()) {
    const std::string where = " at byte " + std::to_string(at) + " of '" + path.string() + "'";
    if (bytes.size() - at < 12) {
      scan.problem = "truncated record header" + where;
      break;
    }
    const auto length = get_le<std::uint64_t>(bytes.data() + at);
    if (get_le<std::uint32_t>(bytes.data() + at + 8) != masked_crc(bytes.data() + at, 8)) {
      scan.problem = "length crc mismatch" + where;
      break;
    }
    if (length > bytes.size() - at - 12 || bytes.size() - at - 12 - length < 4) {
      scan.problem = "truncated record" + where + " (" + std::to_string(length) + " bytes of data announced)";
      break;
    }
    const char* data = bytes.data() + at + 12;
    if (get_le<std::uint32_t>(data + length) != masked_crc(data, length)) {
      scan.problem = "data crc mismatch" + where;
      break;
    }
    scan.records.emplace_back(data, length);
    at += 12 + length + 4;
  }
  return scan;
}

}  // namespace ksave::tensorboard
