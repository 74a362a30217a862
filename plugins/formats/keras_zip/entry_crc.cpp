#include "entry_crc.hpp"

#include <fcntl.h>
#include <libdeflate.h>
#include <unistd.h>
#include <zlib.h>

#include <future>
#include <vector>

#include "ksave/error.hpp"
#include "ksave/threads.hpp"

namespace ksave::plugins::keras_zip {
namespace {

// A check made before a load reads the entry makes the whole load wait for it: libdeflate's CRC-32
// (carry-less multiplication, 2.4x zlib's on this machine's EPYC) over preads of a chunk that
// stays in the cache, and a large range in two halves on two threads. (A mapping of the file
// would avoid the preads' copy but turns a file truncated meanwhile by another process into
// SIGBUS, a crash.)
constexpr std::uint64_t kStep = 256 << 10;
constexpr std::uint64_t kSplitAbove = 16 << 20;

}  // namespace

ReadOnlyFile::ReadOnlyFile(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
  if (fd_ < 0) throw Error("cannot open '" + path.string() + "' to check an entry's CRC-32");
}

ReadOnlyFile::~ReadOnlyFile() { ::close(fd_); }

std::optional<std::uint32_t> open_file_range_crc32(const ReadOnlyFile& file, std::uint64_t offset, std::uint64_t size) {
  std::vector<unsigned char> chunk(static_cast<std::size_t>(std::min(size, kStep)));
  std::uint32_t crc = libdeflate_crc32(0, nullptr, 0);
  for (std::uint64_t done = 0; done < size;) {
    const std::uint64_t want = std::min(size - done, kStep);
    const ssize_t got = ::pread(file.fd(), chunk.data(), want, static_cast<off_t>(offset + done));
    if (got <= 0) return std::nullopt;
    crc = libdeflate_crc32(crc, chunk.data(), static_cast<std::size_t>(got));
    done += static_cast<std::uint64_t>(got);
  }
  return crc;
}

std::optional<std::uint32_t> file_range_crc32(const std::filesystem::path& path, std::uint64_t offset,
                                              std::uint64_t size) {
  const ReadOnlyFile file(path);
  if (size <= kSplitAbove || intra_op_parallelism_threads() < 2) return open_file_range_crc32(file, offset, size);
  const std::uint64_t first = size / 2;
  auto head = std::async(std::launch::async, [&] { return open_file_range_crc32(file, offset, first); });
  const auto tail = open_file_range_crc32(file, offset + first, size - first);
  const auto front = head.get();
  if (!front || !tail) return std::nullopt;
  return static_cast<std::uint32_t>(crc32_combine(*front, *tail, static_cast<z_off_t>(size - first)));
}

void require_entry_crc32(const std::filesystem::path& archive, const std::string& entry,
                         std::optional<std::uint32_t> computed, std::uint32_t expected) {
  if (!computed) throw Error("entry '" + entry + "' of '" + archive.string() + "' ended early (truncated archive?)");
  if (*computed != expected)
    throw Error("entry '" + entry + "' of '" + archive.string() + "' is damaged (its content does not match its CRC-32)");
}

}  // namespace ksave::plugins::keras_zip
