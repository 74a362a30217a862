// The CRC-32 (zip's) of a byte range of a file: the check of a stored entry that is read in
// place, without the copy that libzip's own read would check.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace ksave::plugins::keras_zip {

class ReadOnlyFile {
 public:
  // Throws ksave::Error naming the file when it cannot be opened.
  explicit ReadOnlyFile(const std::filesystem::path& path);
  ~ReadOnlyFile();
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// The CRC-32 of `size` bytes of an open file from `offset` (one thread), or nothing when the file
// ends before them.
std::optional<std::uint32_t> open_file_range_crc32(const ReadOnlyFile& file, std::uint64_t offset, std::uint64_t size);

// The same of the file at `path`, a large range in two halves on two threads. Throws
// ksave::Error when the file cannot be opened.
std::optional<std::uint32_t> file_range_crc32(const std::filesystem::path& path, std::uint64_t offset,
                                              std::uint64_t size);

// Throws the error of entry `entry` of `archive` when `computed` is not `expected`: damaged, or
// (nothing computed) cut short.
void require_entry_crc32(const std::filesystem::path& archive, const std::string& entry,
                         std::optional<std::uint32_t> computed, std::uint32_t expected);

}  // namespace ksave::plugins::keras_zip
