// Writing tensor bundles byte-compatible with TensorFlow's BundleWriter.
#include <future>
#include <system_error>

#include "bundle_publish.hpp"
#include "ksave/durable_files.hpp"
#include "ksave/error.hpp"
#include "ksave/tf/bundle.hpp"
#include "ksave/tf/crc32c.hpp"
#include "ksave/tf/table.hpp"
#include "string_tensor.hpp"

namespace ksave::tf {
namespace fs = std::filesystem;

namespace {

// A failed file operation of a save: the stream says only that it failed; errno says why.
[[noreturn]] void fail_saving(const fs::path& prefix, const std::string& what) {
  throw Error("cannot save checkpoint '" + prefix.string() + "': " + what + ": " + std::system_category().message(errno));
}

}  // namespace

std::string bundle_header_bytes(int num_shards) {
  tfproto::BundleHeaderProto header;
  header.set_num_shards(num_shards);
  header.set_endianness(tfproto::BundleHeaderProto::LITTLE);
  header.mutable_version()->set_producer(1);  // kTensorBundleVersion; min_consumer 0
  return header.SerializeAsString();
}

ShardWriter::ShardWriter(fs::path prefix, const fs::path& temporary, int shard, int num_shards)
    : prefix_(std::move(prefix)), shard_(shard) {
  if (num_shards < 1) throw Error("a checkpoint needs at least one shard, got " + std::to_string(num_shards));
  if (shard < 0 || shard >= num_shards)
    throw Error("checkpoint '" + prefix_.string() + "': shard " + std::to_string(shard) + " of " + std::to_string(num_shards));
  temp_path_ = shard_path(temporary, shard, num_shards);
  out_.open(temp_path_, std::ios::binary | std::ios::trunc);
  if (!out_) fail_saving(prefix_, "cannot create '" + temp_path_.string() + "'");
}

ShardWriter::~ShardWriter() {
  // After publish_bundle the file has its final name and this removes nothing.
  out_.close();
  std::error_code ec;
  fs::remove(temp_path_, ec);
}

void ShardWriter::add(const std::string& key, const Tensor& value) {
  if (!out_.is_open()) throw Error("checkpoint '" + prefix_.string() + "': add('" + key + "') after close()");
  if (key.empty()) throw Error("checkpoint '" + prefix_.string() + "': the empty key is reserved for the bundle header");
  if (entries_.count(key)) throw Error("checkpoint '" + prefix_.string() + "': duplicate key '" + key + "'");
  if (!value.defined()) throw Error("checkpoint '" + prefix_.string() + "': tensor '" + key + "' has no value");
  tfproto::BundleEntryProto entry;
  entry.set_dtype(to_tf_dtype(value.dtype()));
  auto* shape = entry.mutable_shape();  // always present, even for scalars, as TensorFlow writes it
  for (Dim d : value.shape()) shape->add_dim()->set_size(d);
  entry.set_shard_id(shard_);
  entry.set_offset(offset_);
  std::int64_t size = 0;
  std::uint32_t crc = 0;
  if (value.dtype() == DType::String) {
    const EncodedStrings encoded = encode_string_tensor(value);
    out_.write(encoded.bytes.data(), static_cast<std::streamsize>(encoded.bytes.size()));
    size = static_cast<std::int64_t>(encoded.bytes.size());
    crc = encoded.crc;
  } else {
    size = static_cast<std::int64_t>(value.nbytes());
    const void* bytes = value.raw_data();
    // The crc of a large tensor runs on a second thread while the bytes go to the file: both
    // only read the tensor, and the save then costs about what writing the bytes costs.
    constexpr std::int64_t kOverlapFrom = 1 << 20;
    if (size >= kOverlapFrom) {
      auto pending = std::async(std::launch::async, [bytes, size] { return crc32c::value(bytes, static_cast<std::size_t>(size)); });
      out_.write(static_cast<const char*>(bytes), size);
      crc = pending.get();
    } else {
      out_.write(static_cast<const char*>(bytes), size);
      crc = crc32c::value(bytes, static_cast<std::size_t>(size));
    }
  }
  if (!out_) fail_saving(prefix_, "cannot write tensor '" + key + "' to '" + temp_path_.string() + "'");
  entry.set_size(size);
  entry.set_crc32c(crc32c::mask(crc));
  offset_ += size;
  entries_.emplace(key, std::move(entry));
}

void ShardWriter::close() {
  if (!out_.is_open()) return;
  out_.flush();
  out_.close();
  if (!out_) fail_saving(prefix_, "cannot write '" + temp_path_.string() + "'");
  sync_tree(temp_path_);  // on disk before publish_bundle renames it into place
}

void write_index(const fs::path& prefix, const fs::path& temporary, int num_shards,
                 const std::map<std::string, tfproto::BundleEntryProto>& entries) {
  TableEntries table;
  table.reserve(entries.size() + 1);
  table.emplace_back("", bundle_header_bytes(num_shards));
  for (const auto& [key, entry] : entries) table.emplace_back(key, entry.SerializeAsString());
  const fs::path index = index_path(temporary);
  try {
    write_table(index, table);
    sync_tree(index);
  } catch (const Error& e) {
    std::error_code ec;
    fs::remove(index, ec);
    throw Error("cannot save checkpoint '" + prefix.string() + "': " + e.what());
  }
}

BundleWriter::BundleWriter(fs::path prefix, int num_shards) : prefix_(std::move(prefix)) {
  if (num_shards < 1) throw Error("a checkpoint needs at least one shard, got " + std::to_string(num_shards));
  if (!prefix_.parent_path().empty()) fs::create_directories(prefix_.parent_path());
  lock_ = std::make_unique<SaveLock>(prefix_);
  temporary_ = lock_->temporary();
  for (int i = 0; i < num_shards; ++i)
    shards_.push_back(std::make_unique<ShardWriter>(prefix_, temporary_, i, num_shards));
}

// Out of line: SaveLock is complete here. The shards (their temporary files) go before the lock.
BundleWriter::~BundleWriter() {
  shards_.clear();
  if (finished_) return;
  std::error_code ec;
  fs::remove(index_path(temporary_), ec);
}

void BundleWriter::add(const std::string& key, const Tensor& value, int shard_id) {
  if (finished_) throw Error("checkpoint '" + prefix_.string() + "': add('" + key + "') after finish()");
  if (shard_id < 0 || shard_id >= static_cast<int>(shards_.size()))
    throw Error("checkpoint '" + prefix_.string() + "': shard " + std::to_string(shard_id) + " of " + std::to_string(shards_.size()));
  if (shard_of_key_.count(key)) throw Error("checkpoint '" + prefix_.string() + "': duplicate key '" + key + "'");
  shards_[static_cast<std::size_t>(shard_id)]->add(key, value);
  shard_of_key_.emplace(key, shard_id);
}

void BundleWriter::finish() {
  if (finished_) return;
  std::map<std::string, tfproto::BundleEntryProto> entries;
  for (auto& shard : shards_) {
    shard->close();
    entries.insert(shard->entries().begin(), shard->entries().end());
  }
  write_index(prefix_, temporary_, static_cast<int>(shards_.size()), entries);
  publish_bundle(*lock_, temporary_, static_cast<int>(shards_.size()));
  finished_ = true;
  shards_.clear();
  lock_.reset();
}

}  // namespace ksave::tf
