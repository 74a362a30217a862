#include "entry_crc_from_reads.hpp"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <iterator>
#include <map>

#include "entry_crc.hpp"

namespace ksave::plugins::keras_zip {

EntryCrcFromReads::EntryCrcFromReads(std::filesystem::path archive, std::uint64_t offset, std::uint64_t size)
    : archive_(std::move(archive)), offset_(offset), size_(size) {}

void EntryCrcFromReads::bytes_read(std::uint64_t at, const char* bytes, std::size_t n) noexcept {
  if (n == 0 || lost_pieces_) return;
  try {
    pieces_.push_back({at, n, libdeflate_crc32(0, bytes, n)});
  } catch (...) {  // called from inside libhdf5: nothing may be thrown through it
    lost_pieces_ = true;
    pieces_.clear();
  }
}

std::optional<std::uint32_t> EntryCrcFromReads::crc32() const {
  // libhdf5 reads some bytes more than once, in pieces that overlap (a 512-byte guess at an object
  // header runs into the dataset after it; the sieve buffer): the pieces kept are disjoint, the
  // largest first, so that an overlap costs a small piece, not a weight's 256 KiB.
  std::vector<Piece> by_size = lost_pieces_ ? std::vector<Piece>{} : pieces_;
  std::sort(by_size.begin(), by_size.end(), [](const Piece& a, const Piece& b) { return a.size > b.size; });
  std::map<std::uint64_t, Piece> kept;  // by start
  for (const Piece& piece : by_size) {
    if (piece.at > size_ || piece.size > size_ - piece.at) continue;
    const auto next = kept.lower_bound(piece.at);
    if (next != kept.end() && next->first < piece.at + piece.size) continue;
    if (next != kept.begin() && std::prev(next)->second.at + std::prev(next)->second.size > piece.at) continue;
    kept.emplace_hint(next, piece.at, piece);
  }
  // Joined in the entry's order; what no kept piece covers is read now.
  const ReadOnlyFile file(archive_);
  std::uint32_t crc = 0;  // the CRC-32 of no bytes
  std::uint64_t covered = 0;
  const auto join = [&crc](std::uint32_t next, std::uint64_t length) {
    crc = static_cast<std::uint32_t>(crc32_combine(crc, next, static_cast<z_off_t>(length)));
  };
  const auto join_gap_to = [&](std::uint64_t end) {
    if (end <= covered) return true;
    const auto gap = open_file_range_crc32(file, offset_ + covered, end - covered);
    if (!gap) return false;
    join(*gap, end - covered);
    covered = end;
    return true;
  };
  for (const auto& [at, piece] : kept) {
    if (!join_gap_to(at)) return std::nullopt;
    join(piece.crc, piece.size);
    covered = at + piece.size;
  }
  if (!join_gap_to(size_)) return std::nullopt;
  return crc;
}

}  // namespace ksave::plugins::keras_zip
