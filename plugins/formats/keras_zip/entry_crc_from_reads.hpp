// A stored entry's CRC-32 made from the bytes a load reads anyway. Checking a 98 MiB entry before
// reading it read every byte twice (the check's pass, then libhdf5's reads into the variables);
// here each piece libhdf5 reads is summed while it is still in the cache, and only what no read
// covered (some metadata, unread datasets) is read again at the end.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "hdf5_handle.hpp"

namespace ksave::plugins::keras_zip {

class EntryCrcFromReads final : public h5::RangeReadObserver {
 public:
  // The entry is the `size` bytes at `offset` of the archive file at `archive`.
  EntryCrcFromReads(std::filesystem::path archive, std::uint64_t offset, std::uint64_t size);

  void bytes_read(std::uint64_t at, const char* bytes, std::size_t n) noexcept override;

  // The entry's CRC-32: the pieces read, joined in the entry's order, and what they left out,
  // read now. Nothing when the archive ends before the entry does.
  std::optional<std::uint32_t> crc32() const;

 private:
  struct Piece {
    std::uint64_t at, size;
    std::uint32_t crc;
  };
  std::filesystem::path archive_;
  std::uint64_t offset_, size_;
  std::vector<Piece> pieces_;
  bool lost_pieces_ = false;  // a piece could not be kept (no memory): crc32() reads everything
};

}  // namespace ksave::plugins::keras_zip
