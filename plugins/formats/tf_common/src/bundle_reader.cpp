// Reading tensor bundles: the index through the table reader, tensor bytes with pread straight
// into the tensor's own storage (no second copy), every read checked against its crc32c.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <future>

#include "bundle_publish.hpp"
#include "ksave/error.hpp"
#include "ksave/tf/bundle.hpp"
#include "ksave/tf/crc32c.hpp"
#include "ksave/tf/table.hpp"
#include "string_tensor.hpp"

namespace ksave::tf {
namespace fs = std::filesystem;

fs::path shard_path(const fs::path& prefix, int shard, int num_shards) {
  char suffix[48];
  std::snprintf(suffix, sizeof suffix, ".data-%05d-of-%05d", shard, num_shards);
  return prefix.string() + suffix;
}

fs::path index_path(const fs::path& prefix) { return prefix.string() + ".index"; }

namespace {

// TensorFlow's bundle version rules (kTensorBundleVersion 1, min producer 0).
void check_version(const tfproto::VersionDef& v, const fs::path& index) {
  constexpr int kVersion = 1;
  if (v.producer() < 0)
    throw Error("checkpoint '" + index.string() + "': producer version " + std::to_string(v.producer()) + " is below 0");
  if (v.min_consumer() > kVersion)
    throw Error("checkpoint '" + index.string() + "' needs a reader of version " + std::to_string(v.min_consumer()) +
                " or newer (this reader is version 1)");
  for (int bad : v.bad_consumers())
    if (bad == kVersion) throw Error("checkpoint '" + index.string() + "' disallows reader version 1");
}

class FileHandle {
 public:
  FileHandle(const fs::path& path, const std::string& what) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw Error(what + ": cannot open data file '" + path.string() + "' (missing shard?)");
  }
  ~FileHandle() { ::close(fd_); }
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  std::uint64_t size() const {
    struct stat st {};
    return ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  }
  void read_at(void* out, std::uint64_t size, std::uint64_t offset, const std::string& what) const {
    auto* p = static_cast<char*>(out);
    while (size > 0) {
      const ssize_t got = ::pread(fd_, p, size, static_cast<off_t>(offset));
      if (got <= 0) throw Error(what + ": read failed at offset " + std::to_string(offset));
      p += got;
      size -= static_cast<std::uint64_t>(got);
      offset += static_cast<std::uint64_t>(got);
    }
  }

 private:
  int fd_;
};

// A tensor whose bytes the caller fills at once: skips the zero fill of Storage::allocate,
// which would touch every page of a large weight a second time.
Tensor uninitialized_tensor(DType dtype, const Shape& dims, std::uint64_t bytes) {
  constexpr std::size_t kAlign = 64;
  const std::size_t rounded = (std::max<std::size_t>(bytes, 1) + kAlign - 1) / kAlign * kAlign;
  void* p = std::aligned_alloc(kAlign, rounded);
  if (!p) throw Error("out of memory allocating " + std::to_string(bytes) + " bytes for a tensor");
  std::shared_ptr<void> owner(p, std::free);
  return Tensor(dtype, dims, Storage::wrap(p, bytes, std::move(owner)));
}

// Reads `size` bytes and returns their crc32c. Large tensors are read in chunks, each chunk's
// crc computed on a second thread while the next chunk is read, so the check costs little
// beyond the read itself.
std::uint32_t read_with_crc(const FileHandle& file, char* out, std::uint64_t size, std::uint64_t offset,
                            const std::string& what) {
  constexpr std::uint64_t kChunk = 4 << 20;
  if (size < 2 * kChunk) {
    file.read_at(out, size, offset, what);
    return crc32c::value(out, size);
  }
  std::future<std::uint32_t> running = std::async(std::launch::deferred, [] { return 0u; });
  for (std::uint64_t done = 0; done < size; done += kChunk) {
    const std::uint64_t n = std::min(kChunk, size - done);
    file.read_at(out + done, n, offset + done, what);
    const std::uint32_t before = running.get();
    running = std::async(std::launch::async, [before, p = out + done, n] { return crc32c::extend(before, p, n); });
  }
  return running.get();
}

std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

}  // namespace

BundleReader::BundleReader(fs::path prefix)
    : prefix_(std::move(prefix)), files_prefix_(readable_bundle_prefix(prefix_)) {
  const fs::path index = index_path(files_prefix_);
  if (!fs::exists(index)) throw Error("checkpoint '" + prefix_.string() + "' not found: no file '" + index.string() + "'");
  TableContents table = read_table(index);
  snappy_blocks_ = table.snappy_blocks;
  plain_blocks_ = table.plain_blocks;
  if (table.entries.empty() || !table.entries.front().first.empty())
    throw Error("checkpoint index '" + index.string() + "' has no bundle header (its first key must be empty)");
  if (!header_.ParseFromString(table.entries.front().second))
    throw Error("checkpoint index '" + index.string() + "': the bundle header does not parse");
  check_version(header_.version(), index);
  if (header_.num_shards() < 1 || header_.num_shards() > 100000)
    throw Error("checkpoint index '" + index.string() + "': impossible shard count " + std::to_string(header_.num_shards()));
  if (header_.endianness() != tfproto::BundleHeaderProto::LITTLE)
    throw Error("checkpoint index '" + index.string() + "' holds big-endian tensors, which this reader does not convert");
  for (std::size_t i = 1; i < table.entries.size(); ++i) {
    auto& [key, value] = table.entries[i];
    tfproto::BundleEntryProto entry;
    if (!entry.ParseFromString(value))
      throw Error("checkpoint index '" + index.string() + "': the entry of '" + key + "' does not parse");
    keys_.push_back(key);
    entries_.emplace(std::move(key), std::move(entry));
  }
}

std::string BundleReader::where(const std::string& key) const {
  return "tensor '" + key + "' of checkpoint '" + prefix_.string() + "'";
}

const tfproto::BundleEntryProto& BundleReader::entry(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end())
    throw Error("key '" + key + "' not found in checkpoint '" + prefix_.string() + "' (" + std::to_string(keys_.size()) +
                " keys)");
  return it->second;
}

Shape BundleReader::shape(const std::string& key) const {
  const auto& e = entry(key);
  if (e.shape().unknown_rank()) throw Error(where(key) + ": shape of unknown rank");
  Shape s;
  for (const auto& d : e.shape().dim()) s.push_back(d.size());
  return s;
}

std::string BundleReader::dtype_name(const std::string& key) const { return tf_dtype_name(entry(key).dtype()); }

BundleReader::Location BundleReader::locate(const std::string& key) const {
  const auto& e = entry(key);
  Location loc;
  loc.what = where(key);
  const std::string& what = loc.what;
  if (e.slices_size() > 0) throw Error(what + " is partitioned into slices, which this reader does not reassemble");
  loc.dtype = from_tf_dtype(e.dtype(), what);
  loc.dims = shape(key);
  for (Dim d : loc.dims)
    if (d < 0) throw Error(what + ": dimension " + std::to_string(d) + " in shape " + shape_to_string(loc.dims));
  try {
    loc.count = num_elements(loc.dims);
  } catch (const Error&) {
    throw Error(what + ": shape " + shape_to_string(loc.dims) + " has too many elements");
  }
  if (e.shard_id() < 0 || e.shard_id() >= header_.num_shards())
    throw Error(what + ": shard " + std::to_string(e.shard_id()) + " of " + std::to_string(header_.num_shards()));
  if (e.offset() < 0 || e.size() < 0) throw Error(what + ": negative offset or size");
  loc.size = static_cast<std::uint64_t>(e.size());
  loc.offset = static_cast<std::uint64_t>(e.offset());
  if (loc.dtype != DType::String) {
    const std::uint64_t expected = static_cast<std::uint64_t>(loc.count) * dtype_size(loc.dtype);
    if (loc.size != expected)
      throw Error(what + ": stored size " + std::to_string(loc.size) + " bytes disagrees with its dtype " +
                  std::string(ksave::dtype_name(loc.dtype)) + " and shape " + shape_to_string(loc.dims) + " (" +
                  std::to_string(expected) + " bytes)");
  } else if (loc.size < static_cast<std::uint64_t>(loc.count) + 4 && !(loc.count == 0 && loc.size <= 4)) {
    throw Error(what + ": stored size " + std::to_string(loc.size) + " bytes is too small for " + std::to_string(loc.count) +
                " strings");
  }
  loc.data = shard_path(files_prefix_, e.shard_id(), header_.num_shards());
  loc.stored_crc = crc32c::unmask(e.crc32c());
  return loc;
}

namespace {

// Checks that a tensor's bytes lie inside its open data shard: a truncated shard is reported
// here, before anything is read.
void check_within(const FileHandle& file, const std::string& what, const std::filesystem::path& data, std::uint64_t offset,
                  std::uint64_t size) {
  const std::uint64_t file_size = file.size();
  if (offset > file_size || size > file_size - offset)
    throw Error(what + ": bytes [" + std::to_string(offset) + ", " + std::to_string(offset + size) + ") lie outside '" +
                data.string() + "' of " + std::to_string(file_size) + " bytes (truncated data file or damaged index)");
}

void check_crc(const std::string& what, const std::filesystem::path& data, std::uint32_t stored, std::uint32_t actual,
               const std::string& consequence) {
  if (actual != stored)
    throw Error(what + ": data corrupted, crc32c mismatch (stored " + hex(stored) + ", computed " + hex(actual) + ") in '" +
                data.string() + "'" + consequence);
}

}  // namespace

Tensor BundleReader::read(const std::string& key) const {
  const Location loc = locate(key);
  const FileHandle file(loc.data, loc.what);
  check_within(file, loc.what, loc.data, loc.offset, loc.size);
  if (loc.dtype == DType::String) {
    std::string bytes(loc.size, '\0');
    file.read_at(bytes.data(), loc.size, loc.offset, loc.what);
    return decode_string_tensor(bytes, loc.dims, loc.count, loc.stored_crc, loc.what);
  }
  Tensor out = uninitialized_tensor(loc.dtype, loc.dims, loc.size);
  check_crc(loc.what, loc.data, loc.stored_crc,
            read_with_crc(file, static_cast<char*>(out.raw_data()), loc.size, loc.offset, loc.what), "");
  return out;
}

void BundleReader::read_into(const std::string& key, Tensor& destination) const {
  const Location loc = locate(key);
  if (loc.dtype == DType::String) throw Error(loc.what + ": a string tensor cannot be read in place (use read)");
  if (loc.dtype != destination.dtype() || loc.dims != destination.shape())
    throw Error(loc.what + " is " + std::string(ksave::dtype_name(loc.dtype)) + " " + shape_to_string(loc.dims) +
                " but the destination is " + std::string(ksave::dtype_name(destination.dtype())) + " " +
                shape_to_string(destination.shape()));
  if (!destination.storage() || destination.storage()->bytes() < loc.size)
    throw Error(loc.what + ": the destination tensor has no storage of " + std::to_string(loc.size) + " bytes");
  const FileHandle file(loc.data, loc.what);
  check_within(file, loc.what, loc.data, loc.offset, loc.size);
  const std::string consequence = "; the destination was overwritten in place and holds damaged values";
  std::uint32_t actual = 0;
  try {
    actual = read_with_crc(file, static_cast<char*>(destination.raw_data()), loc.size, loc.offset, loc.what);
  } catch (const Error& e) {
    throw Error(e.what() + consequence);
  }
  check_crc(loc.what, loc.data, loc.stored_crc, actual, consequence);
}

}  // namespace ksave::tf
