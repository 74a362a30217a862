// The bytes of an HDF5 file as stored, read without libhdf5: for the checks of structures that
// libhdf5 1.10.8 trusts and would dereference unchecked in a damaged file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

namespace ksave::plugins::h5 {

class RawBytes {
 public:
  // The file at `path`, kept open while the object lives.
  static std::shared_ptr<const RawBytes> of_file(const std::filesystem::path& path);
  // The `size` bytes at `offset` of the file at `path` (an HDF5 file stored inside a zip archive).
  static std::shared_ptr<const RawBytes> of_file_range(const std::filesystem::path& path, std::uint64_t offset,
                                                       std::uint64_t size);
  // A file image in memory (shared with the File that reads it).
  static std::shared_ptr<const RawBytes> of_image(std::shared_ptr<const std::vector<char>> image);
  ~RawBytes();
  RawBytes(const RawBytes&) = delete;
  RawBytes& operator=(const RawBytes&) = delete;

  std::uint64_t size() const { return size_; }
  // Copies [offset, offset + n) to `out`; false when that range is not all inside the file.
  bool read(std::uint64_t offset, std::size_t n, void* out) const;

 private:
  RawBytes() = default;
  static std::shared_ptr<RawBytes> open_file(const std::filesystem::path& path);
  int fd_ = -1;
  std::uint64_t base_ = 0;  // where the HDF5 file starts in the file fd_ reads
  std::shared_ptr<const std::vector<char>> image_;
  std::uint64_t size_ = 0;
};

}  // namespace ksave::plugins::h5
