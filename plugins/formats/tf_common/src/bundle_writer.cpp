// Writing tensor bundles byte-compatible with TensorFlow's BundleWriter.
#include <fstream>
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

struct BundleWriter::Shard {
  fs::path temp_path;
  std::ofstream out;
  std::int64_t offset = 0;
};

BundleWriter::BundleWriter(fs::path prefix, int num_shards) : prefix_(std::move(prefix)), num_shards_(num_shards) {
  if (num_shards < 1) throw Error("a checkpoint needs at least one shard, got " + std::to_string(num_shards));
  if (!prefix_.parent_path().empty()) fs::create_directories(prefix_.parent_path());
  lock_ = std::make_unique<SaveLock>(prefix_);
  temporary_ = lock_->temporary();
  for (int i = 0; i < num_shards; ++i) {
    auto shard = std::make_unique<Shard>();
    shard->temp_path = shard_path(temporary_, i, num_shards);
    shard->out.open(shard->temp_path, std::ios::binary | std::ios::trunc);
    if (!shard->out) fail_saving(prefix_, "cannot create '" + shard->temp_path.string() + "'");
    shards_.push_back(std::move(shard));
  }
}

BundleWriter::~BundleWriter() {
  if (finished_) return;
  std::error_code ec;
  for (auto& shard : shards_) {
    shard->out.close();
    fs::remove(shard->temp_path, ec);
  }
  fs::remove(index_path(temporary_), ec);
}

void BundleWriter::add(const std::string& key, const Tensor& value, int shard_id) {
  if (finished_) throw Error("checkpoint '" + prefix_.string() + "': add('" + key + "') after finish()");
  if (key.empty()) throw Error("checkpoint '" + prefix_.string() + "': the empty key is reserved for the bundle header");
  if (entries_.count(key)) throw Error("checkpoint '" + prefix_.string() + "': duplicate key '" + key + "'");
  if (shard_id < 0 || shard_id >= num_shards_)
    throw Error("checkpoint '" + prefix_.string() + "': shard " + std::to_string(shard_id) + " of " + std::to_string(num_shards_));
  if (!value.defined()) throw Error("checkpoint '" + prefix_.string() + "': tensor '" + key + "' has no value");
  Shard& shard = *shards_[static_cast<std::size_t>(shard_id)];
  tfproto::BundleEntryProto entry;
  entry.set_dtype(to_tf_dtype(value.dtype()));
  auto* shape = entry.mutable_shape();  // always present, even for scalars, as TensorFlow writes it
  for (Dim d : value.shape()) shape->add_dim()->set_size(d);
  entry.set_shard_id(shard_id);
  entry.set_offset(shard.offset);
  std::int64_t size = 0;
  std::uint32_t crc = 0;
  if (value.dtype() == DType::String) {
    const EncodedStrings encoded = encode_string_tensor(value);
    shard.out.write(encoded.bytes.data(), static_cast<std::streamsize>(encoded.bytes.size()));
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
      shard.out.write(static_cast<const char*>(bytes), size);
      crc = pending.get();
    } else {
      shard.out.write(static_cast<const char*>(bytes), size);
      crc = crc32c::value(bytes, static_cast<std::size_t>(size));
    }
  }
  if (!shard.out) fail_saving(prefix_, "cannot write tensor '" + key + "' to '" + shard.temp_path.string() + "'");
  entry.set_size(size);
  entry.set_crc32c(crc32c::mask(crc));
  shard.offset += size;
  entries_.emplace(key, std::move(entry));
}

void BundleWriter::finish() {
  if (finished_) return;
  TableEntries table;
  table.reserve(entries_.size() + 1);
  table.emplace_back("", bundle_header_bytes(num_shards_));
  for (const auto& [key, entry] : entries_) table.emplace_back(key, entry.SerializeAsString());
  for (auto& shard : shards_) {
    shard->out.flush();
    shard->out.close();
    if (!shard->out) fail_saving(prefix_, "cannot write '" + shard->temp_path.string() + "'");
  }
  try {
    write_table(index_path(temporary_), table);
  } catch (const Error& e) {
    throw Error("cannot save checkpoint '" + prefix_.string() + "': " + e.what());
  }
  for (auto& shard : shards_) sync_tree(shard->temp_path);
  sync_tree(index_path(temporary_));
  publish_bundle(*lock_, temporary_, num_shards_);
  finished_ = true;
  lock_.reset();
}

}  // namespace ksave::tf
