// Tensor bundles (TensorFlow checkpoint format V2): `<prefix>.index` (a table of
// BundleEntryProto by key) and the data shards `<prefix>.data-SSSSS-of-NNNNN`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <map>
#include <string>
#include <vector>

#include "ksave/tensor.hpp"
#include "ksave_tf_bundle.pb.h"

namespace ksave {
class SaveLock;  // ksave/durable_files.hpp
}

namespace ksave::tf {

// TensorFlow's DataType number for a ksave dtype, and back (throws naming the unsupported type).
tfproto::DataType to_tf_dtype(DType dtype);
DType from_tf_dtype(int tf_dtype, const std::string& where);
// TensorFlow's lowercase name ("float32", "int64", "string", "bfloat16", ...) for any DataType.
std::string tf_dtype_name(int tf_dtype);

// "<prefix>.data-00001-of-00002".
std::filesystem::path shard_path(const std::filesystem::path& prefix, int shard, int num_shards);
std::filesystem::path index_path(const std::filesystem::path& prefix);

class BundleReader {
 public:
  // Reads and checks the index (table checksums, header version); data shards are opened on use.
  // Reads the backup of a publish interrupted mid-swap where there is one (bundle_publish.hpp).
  explicit BundleReader(std::filesystem::path prefix);

  const std::filesystem::path& prefix() const { return prefix_; }
  // The prefix whose files are read: prefix(), or the backup of an interrupted publish.
  const std::filesystem::path& files_prefix() const { return files_prefix_; }
  const tfproto::BundleHeaderProto& header() const { return header_; }
  // Every tensor key in table (bytewise) order, without the header's empty key.
  const std::vector<std::string>& keys() const { return keys_; }
  bool contains(const std::string& key) const { return entries_.count(key) != 0; }
  // Throws "not found in checkpoint" naming the key and the prefix.
  const tfproto::BundleEntryProto& entry(const std::string& key) const;
  Shape shape(const std::string& key) const;
  std::string dtype_name(const std::string& key) const;
  std::size_t snappy_blocks() const { return snappy_blocks_; }
  std::size_t plain_blocks() const { return plain_blocks_; }

  // The tensor's value, read straight into a new tensor's storage and checked: size against
  // dtype and shape, then the masked crc32c (the error names the key and both crcs).
  Tensor read(const std::string& key) const;
  // The same checks, then the bytes read straight into `destination`'s own storage (no new
  // buffer to allocate and page in): its dtype and shape must equal the stored ones (else an
  // error, nothing written), and it must not be a string tensor. Every check that can fail
  // before reading (entry, size, shard bounds) runs before the first byte is written. A read
  // error or crc32c mismatch afterwards leaves `destination` overwritten with what was read,
  // and the error says so: callers read in place only into storage no one else sees.
  void read_into(const std::string& key, Tensor& destination) const;

 private:
  // A tensor's entry, checked against its dtype, shape and shard count.
  struct Location {
    std::string what;
    DType dtype;
    Shape dims;
    std::int64_t count;
    std::uint64_t size, offset;
    std::filesystem::path data;
    std::uint32_t stored_crc;
  };
  Location locate(const std::string& key) const;
  std::string where(const std::string& key) const;
  std::filesystem::path prefix_;
  std::filesystem::path files_prefix_;
  tfproto::BundleHeaderProto header_;
  std::vector<std::string> keys_;
  std::map<std::string, tfproto::BundleEntryProto> entries_;
  std::size_t snappy_blocks_ = 0, plain_blocks_ = 0;
};

// One data file of a bundle being saved at `prefix`, written under the save's temporary prefix
// (its SaveLock's temporary(), so that the next writer of `prefix` removes it if this process
// dies): tensors are appended in the order they are added and their index entries (shard id,
// offset, size, masked crc32c) kept for the index. close() flushes and fsyncs it, ready for
// publish_bundle (src/bundle_publish.hpp) to put in place; until then, destroying the writer
// removes the file.
class ShardWriter {
 public:
  ShardWriter(std::filesystem::path prefix, const std::filesystem::path& temporary, int shard, int num_shards);
  ~ShardWriter();
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  void add(const std::string& key, const Tensor& value);
  // Flushes, closes and fsyncs the file (throws naming it and the system's reason).
  void close();
  // The entries by key (bytewise order), as the index stores them.
  const std::map<std::string, tfproto::BundleEntryProto>& entries() const { return entries_; }

 private:
  std::filesystem::path prefix_, temp_path_;
  int shard_;
  std::ofstream out_;
  std::int64_t offset_ = 0;
  std::map<std::string, tfproto::BundleEntryProto> entries_;
};

// Writes and fsyncs the `.index` of a bundle of `num_shards` shards with these entries under the
// save's temporary prefix (errors name `prefix`, the checkpoint being saved).
void write_index(const std::filesystem::path& prefix, const std::filesystem::path& temporary, int num_shards,
                 const std::map<std::string, tfproto::BundleEntryProto>& entries);

// Writes a whole bundle from one process: tensors go to their shard's data file in the order
// they are added (TensorFlow adds them in object-graph order, which only byte parity cares
// about); finish() writes the index with the keys sorted. The writer holds the prefix's SaveLock
// from construction to the end; files are written under a temporary prefix, fsynced, and
// finish() puts them in place of the previous bundle so that a crash at any moment leaves the
// old or the new bundle readable (src/bundle_publish.hpp says how). The sharded save of a
// data-parallel job (sharded_save.cpp) publishes the same way.
class BundleWriter {
 public:
  explicit BundleWriter(std::filesystem::path prefix, int num_shards = 1);
  ~BundleWriter();
  BundleWriter(const BundleWriter&) = delete;
  BundleWriter& operator=(const BundleWriter&) = delete;

  void add(const std::string& key, const Tensor& value, int shard = 0);
  void finish();

 private:
  std::filesystem::path prefix_;
  std::unique_ptr<SaveLock> lock_;
  std::filesystem::path temporary_;  // the prefix the files are written under
  std::vector<std::unique_ptr<ShardWriter>> shards_;
  std::map<std::string, int> shard_of_key_;
  bool finished_ = false;
};

// Serialized header of a little-endian bundle with `num_shards` shards, as TensorFlow writes it.
std::string bundle_header_bytes(int num_shards);

}  // namespace ksave::tf
