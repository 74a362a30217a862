// The `.index` file of a tensor bundle: an SSTable in LevelDB's table format, read and written
// with Debian's LevelDB (whose reader also decodes Snappy blocks, which real TF files have).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace ksave::tf {

using TableEntries = std::vector<std::pair<std::string, std::string>>;

struct TableContents {
  TableEntries entries;          // in key order, as stored
  std::size_t snappy_blocks = 0;  // data blocks stored Snappy-compressed
  std::size_t plain_blocks = 0;   // data blocks stored raw, plus the (always raw) index block
};

// Reads every entry, verifying each block's masked crc32c. Before LevelDB allocates anything,
// the footer and every block handle are checked against the file size (and a Snappy block's
// declared length against what its compressed size can expand to), so a damaged file gives a
// clear error instead of a huge allocation.
TableContents read_table(const std::filesystem::path& path);

// Writes `entries` (strictly increasing keys) as TensorFlow's table builder does: no
// compression, 256 KiB data blocks, a restart point every 16 entries. The output is byte for
// byte what TensorFlow writes for the same entries.
void write_table(const std::filesystem::path& path, const TableEntries& entries);

}  // namespace ksave::tf
