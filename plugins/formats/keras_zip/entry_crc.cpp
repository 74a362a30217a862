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

// The check comes before a load reads the entry (damaged bytes never reach libhdf5), so the whole
// load waits for it: libdeflate's CRC-32 (carry-less multiplication, 2.4x zlib's on this
// machine's EPYC) over preads of a chunk that stays in the cache, and a large range in two halves
// on two threads. (The preads' copy is now most of the pass; a mapping of the file would avoid it
// but turns a file truncated meanwhile by another process into SIGBUS, a crash.)
constexpr std::uint64_t kStep = 256 << 10;
constexpr std::uint64_t kSplitAbove = 16 << 20;

class ReadOnlyFile {
 public:
  explicit ReadOnlyFile(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw Error("cannot open '" + path.string() + "' to check an entry's CRC-32");
  }
  ~ReadOnlyFile() { ::close(fd_); }
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

std::optional<std::uint32_t> crc_of(int fd, std::uint64_t offset, std::uint64_t size) {
  std::vector<unsigned char> chunk(static_cast<std::size_t>(std::min(size, kStep)));
  std::uint32_t crc = libdeflate_crc32(0, nullptr, 0);
  for (std::uint64_t done = 0; done < size;) {
    const std::uint64_t want = std::min(size - done, kStep);
    const ssize_t got = ::pread(fd, chunk.data(), want, static_cast<off_t>(offset + done));
    if (got <= 0) return std::nullopt;
    crc = libdeflate_crc32(crc, chunk.data(), static_cast<std::size_t>(got));
    done += static_cast<std::uint64_t>(got);
  }
  return crc;
}

}  // namespace

std::optional<std::uint32_t> file_range_crc32(const std::filesystem::path& path, std::uint64_t offset,
                                              std::uint64_t size) {
  const ReadOnlyFile file(path);
  if (size <= kSplitAbove || intra_op_parallelism_threads() < 2) return crc_of(file.fd(), offset, size);
  const std::uint64_t first = size / 2;
  auto head = std::async(std::launch::async, [&] { return crc_of(file.fd(), offset, first); });
  const auto tail = crc_of(file.fd(), offset + first, size - first);
  const auto front = head.get();
  if (!front || !tail) return std::nullopt;
  return static_cast<std::uint32_t>(crc32_combine(*front, *tail, static_cast<z_off_t>(size - first)));
}

}  // namespace ksave::plugins::keras_zip
