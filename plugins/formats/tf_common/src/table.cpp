#include "ksave/tf/table.hpp"

#include <fstream>
#include <memory>

#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/table.h>
#include <leveldb/table_builder.h>
#include <snappy.h>

#include "ksave/error.hpp"

namespace ksave::tf {
namespace {
namespace fs = std::filesystem;

constexpr std::size_t kFooterSize = 48;
constexpr std::size_t kTrailerSize = 5;  // compression type byte + masked crc32c
constexpr std::uint64_t kTableMagic = 0xdb4775248b80fb57ull;
// TensorFlow's table builder options (table_options.h): 256 KiB blocks, restart every 16.
constexpr std::size_t kBlockSize = 262144;
constexpr int kRestartInterval = 16;
// Snappy's densest encoding (a 64-byte copy in 3 bytes) bounds how far a block can expand.
constexpr std::uint64_t kMaxSnappyExpansion = 32;

struct Handle {
  std::uint64_t offset = 0, size = 0;
};

std::string where(const fs::path& path) { return "checkpoint index '" + path.string() + "'"; }

bool get_varint64(const char*& p, const char* end, std::uint64_t& value) {
  value = 0;
  for (int shift = 0; shift <= 63 && p < end; shift += 7) {
    const auto byte = static_cast<unsigned char>(*p++);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

Handle decode_handle(const char*& p, const char* end, const fs::path& path, const std::string& what) {
  Handle h;
  if (!get_varint64(p, end, h.offset) || !get_varint64(p, end, h.size))
    throw Error(where(path) + ": bad block handle in " + what);
  return h;
}

std::string read_bytes(std::ifstream& in, std::uint64_t offset, std::uint64_t size, const fs::path& path) {
  std::string bytes(size, '\0');
  in.seekg(static_cast<std::streamoff>(offset));
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size)))
    throw Error(where(path) + ": cannot read " + std::to_string(size) + " bytes at offset " + std::to_string(offset));
  return bytes;
}

void check_in_file(const Handle& h, std::uint64_t file_size, const fs::path& path, const std::string& what) {
  if (h.offset > file_size || h.size > file_size || h.offset + h.size + kTrailerSize > file_size)
    throw Error(where(path) + ": " + what + " (offset " + std::to_string(h.offset) + ", size " +
                std::to_string(h.size) + ") lies outside the file of " + std::to_string(file_size) +
                " bytes (truncated or damaged file)");
}

// Walks the footer and the index block by hand and checks every handle before LevelDB, which
// trusts them for its allocations, sees the file. Counts Snappy and raw data blocks.
void prevalidate(const fs::path& path, std::uint64_t file_size, TableContents& contents) {
  if (file_size < kFooterSize)
    throw Error(where(path) + ": " + std::to_string(file_size) + " bytes is shorter than the 48-byte table footer (truncated file)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + where(path));
  const std::string footer = read_bytes(in, file_size - kFooterSize, kFooterSize, path);
  std::uint64_t magic = 0;
  for (int i = 0; i < 8; ++i) magic |= static_cast<std::uint64_t>(static_cast<unsigned char>(footer[40 + i])) << (8 * i);
  if (magic != kTableMagic) throw Error(where(path) + ": not an SSTable (bad magic number in the footer; truncated or not an .index file)");
  const char* p = footer.data();
  const char* end = footer.data() + 40;
  const Handle meta = decode_handle(p, end, path, "the footer");
  const Handle index = decode_handle(p, end, path, "the footer");
  check_in_file(meta, file_size, path, "the metaindex block");
  check_in_file(index, file_size, path, "the index block");
  const std::string index_block = read_bytes(in, index.offset, index.size + kTrailerSize, path);
  if (index_block[index.size] != 0) throw Error(where(path) + ": the index block is compressed, which TensorFlow never writes");
  ++contents.plain_blocks;
  if (index.size < 4) throw Error(where(path) + ": index block of " + std::to_string(index.size) + " bytes is too small");
  std::uint32_t restarts = 0;
  for (int i = 0; i < 4; ++i) restarts |= static_cast<std::uint32_t>(static_cast<unsigned char>(index_block[index.size - 4 + i])) << (8 * i);
  if (static_cast<std::uint64_t>(restarts) * 4 + 4 > index.size) throw Error(where(path) + ": index block restart count is out of range");
  const char* q = index_block.data();
  const char* limit = index_block.data() + index.size - 4 - 4 * restarts;
  while (q < limit) {
    std::uint64_t shared, unshared, value_len;
    if (!get_varint64(q, limit, shared) || !get_varint64(q, limit, unshared) || !get_varint64(q, limit, value_len) ||
        unshared > static_cast<std::uint64_t>(limit - q) || value_len > static_cast<std::uint64_t>(limit - q) - unshared)
      throw Error(where(path) + ": damaged index block entry");
    q += unshared;
    const char* v = q;
    const Handle block = decode_handle(v, q + value_len, path, "the index block");
    q += value_len;
    check_in_file(block, file_size, path, "a data block");
    const std::string type = read_bytes(in, block.offset + block.size, 1, path);
    if (type[0] == 1) {
      ++contents.snappy_blocks;
      const std::string head = read_bytes(in, block.offset, std::min<std::uint64_t>(block.size, 10), path);
      std::size_t expanded = 0;
      if (!snappy::GetUncompressedLength(head.data(), head.size(), &expanded) ||
          expanded > kMaxSnappyExpansion * block.size + 64)
        throw Error(where(path) + ": a Snappy block at offset " + std::to_string(block.offset) + " declares an impossible length");
    } else if (type[0] == 0) {
      ++contents.plain_blocks;
    } else {
      throw Error(where(path) + ": unknown block compression type " + std::to_string(static_cast<int>(type[0])) +
                  " at offset " + std::to_string(block.offset) + " (TensorFlow reads only none and Snappy)");
    }
  }
}

std::string status_text(const leveldb::Status& s) { return s.ToString(); }

}  // namespace

TableContents read_table(const fs::path& path) {
  std::error_code ec;
  const std::uint64_t file_size = fs::file_size(path, ec);
  if (ec) throw Error("cannot open " + where(path) + ": " + ec.message());
  TableContents contents;
  prevalidate(path, file_size, contents);

  leveldb::Env* env = leveldb::Env::Default();
  leveldb::RandomAccessFile* raw_file = nullptr;
  leveldb::Status s = env->NewRandomAccessFile(path.string(), &raw_file);
  if (!s.ok()) throw Error("cannot open " + where(path) + ": " + status_text(s));
  std::unique_ptr<leveldb::RandomAccessFile> file(raw_file);
  leveldb::Options options;
  options.paranoid_checks = true;
  leveldb::Table* raw_table = nullptr;
  s = leveldb::Table::Open(options, file.get(), file_size, &raw_table);
  if (!s.ok()) throw Error(where(path) + " is not a valid table: " + status_text(s));
  std::unique_ptr<leveldb::Table> table(raw_table);
  leveldb::ReadOptions read_options;
  read_options.verify_checksums = true;
  read_options.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(table->NewIterator(read_options));
  for (it->SeekToFirst(); it->Valid(); it->Next())
    contents.entries.emplace_back(it->key().ToString(), it->value().ToString());
  if (!it->status().ok()) throw Error(where(path) + ": " + status_text(it->status()) + " (damaged block)");
  return contents;
}

void write_table(const fs::path& path, const TableEntries& entries) {
  leveldb::Env* env = leveldb::Env::Default();
  leveldb::WritableFile* raw_file = nullptr;
  leveldb::Status s = env->NewWritableFile(path.string(), &raw_file);
  if (!s.ok()) throw Error("cannot create " + where(path) + ": " + status_text(s));
  std::unique_ptr<leveldb::WritableFile> file(raw_file);
  leveldb::Options options;
  options.compression = leveldb::kNoCompression;
  options.block_size = kBlockSize;
  options.block_restart_interval = kRestartInterval;
  options.filter_policy = nullptr;
  leveldb::TableBuilder builder(options, file.get());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i > 0 && !(entries[i - 1].first < entries[i].first))
      throw Error(where(path) + ": keys must be strictly increasing ('" + entries[i - 1].first + "' then '" +
                  entries[i].first + "')");
    // TensorFlow's one rule beyond LevelDB's: an entry of 2 blocks or more starts a new block.
    if (entries[i].first.size() + entries[i].second.size() >= 2 * kBlockSize) builder.Flush();
    builder.Add(entries[i].first, entries[i].second);
  }
  s = builder.Finish();
  if (s.ok()) s = file->Sync();
  if (s.ok()) s = file->Close();
  if (!s.ok()) throw Error("cannot write " + where(path) + ": " + status_text(s));
}

}  // namespace ksave::tf
