// A thin RAII layer over the HDF5 C API: files, groups, datasets and their attributes.
//
// Every failure becomes a ksave::Error naming the file and the object path, with the messages
// of HDF5's own error stack; HDF5's automatic printing to stderr is switched off. The serial
// HDF5 library is not thread-safe, so every public entry point of the plugin holds
// `hdf5_lock()` while it works.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ksave/tensor.hpp"
#include "raw_bytes.hpp"

namespace ksave::plugins::h5 {

// Serializes all use of the HDF5 library and switches off its automatic error printing.
std::unique_lock<std::recursive_mutex> hdf5_lock();

// The text of HDF5's current error stack (outermost and innermost messages), then clears it.
std::string hdf5_error_text();

// One HDF5 identifier, released with the matching close function.
class Id {
 public:
  Id() = default;
  Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Id() { reset(); }
  Id(Id&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = H5I_INVALID_HID; }
  Id& operator=(Id&& other) noexcept;
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset();
  // Closes now and reports a failure (a flush that could not be written, for a file).
  herr_t close();

 private:
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*close_)(hid_t) = nullptr;
};

// An HDF5 datatype made for a dtype (little-endian IEEE floats, native integers, IEEE half).
Id memory_type(DType dtype);
// The dtype matching a numeric HDF5 type; throws for strings, compounds and the like.
DType dtype_of_type(hid_t type, const std::string& where);

// Where an object lives, for messages: the file and the object's path inside it.
struct Location {
  std::filesystem::path file;
  std::string path;  // "/model_weights/dense"
  std::uintmax_t file_size = 0;  // bytes on disk when opened for reading; bounds declared sizes
  std::shared_ptr<const RawBytes> raw;  // the file's bytes, for checks before libhdf5 reads (reading only)
  std::string describe() const;  // "'/model_weights/dense' in 'model.h5'"
  Location child(const std::string& name) const;
};

class Node {
 public:
  hid_t id() const { return id_.get(); }
  const Location& location() const { return location_; }
  [[noreturn]] void fail(const std::string& what) const;

  bool has_attribute(const std::string& name) const;
  std::vector<std::string> attribute_names() const;
  // Opens an attribute (throws naming it when missing).
  Id open_attribute(const std::string& name) const;
  void delete_attribute(const std::string& name);

 protected:
  Node(Id id, Location location) : id_(std::move(id)), location_(std::move(location)) {}
  Id id_;
  Location location_;
  // Whether this node's attribute messages passed check_attribute_messages: the header is read
  // from the file once per node, not on every attribute lookup.
  mutable bool attributes_checked_ = false;
  void check_attributes_once() const;
};

class Dataset : public Node {
 public:
  Dataset(Id id, Location location);
  const Shape& shape() const { return shape_; }
  // The stored element type as a ksave dtype (throws for non-numeric data).
  DType dtype() const;
  bool is_numeric() const;
  std::string type_description() const;  // "float32", "int64", "string", "compound", ...
  // Reads into `target`, whose shape must equal the dataset's; values are converted to the
  // target's dtype by HDF5. The declared size is checked against the file first.
  void read_into(Tensor& target) const;
  // Reads into a new tensor of the stored dtype (or `as` when given).
  Tensor read() const;
  Tensor read_as(DType dtype) const;
  void write(const Tensor& value);

 private:
  void check_declared_size() const;
  Shape shape_;
};

class Group : public Node {
 public:
  Group(Id id, Location location) : Node(std::move(id), std::move(location)) {}
  // Another handle on this same group.
  Group self() const;
  // True when every link along the slash-separated `relative` path exists.
  bool has(const std::string& relative) const;
  bool has_group(const std::string& relative) const;
  bool has_dataset(const std::string& relative) const;
  Group group(const std::string& relative) const;
  Dataset dataset(const std::string& relative) const;
  // Creates a group or dataset, with any missing intermediate groups.
  Group create_group(const std::string& relative);
  Dataset create_dataset(const std::string& relative, DType dtype, const Shape& shape);
  std::vector<std::string> children() const;
};

// Told of the bytes a file-range driver reads, right after each piece of at most 256 KiB is read
// (while it is still in the cache): how a .keras entry's CRC-32 is computed from the load's own
// reads instead of a pass of its own over the entry.
class RangeReadObserver {
 public:
  virtual ~RangeReadObserver() = default;
  // `n` bytes at offset `at` of the range (not of the container file) now hold `bytes`. Called
  // from inside libhdf5, so it must not throw.
  virtual void bytes_read(std::uint64_t at, const char* bytes, std::size_t n) noexcept = 0;
};

class File : public Group {
 public:
  // Opens an existing file read-only (throws when it is not HDF5, truncated or unreadable).
  static File open(const std::filesystem::path& path);
  // Creates (truncates) a file for writing.
  static File create(const std::filesystem::path& path);
  // Opens, read-only, an HDF5 file held in memory (an entry of a Keras 3 .keras zip); `name`
  // is what messages call it. HDF5 reads the bytes in place (no copy); the File keeps them, so
  // groups and datasets opened from it must not outlive it.
  static File open_image(std::vector<char> bytes, const std::filesystem::path& name);
  // Opens, read-only, the HDF5 file stored as the `size` bytes at `offset` of the file at
  // `container` (an uncompressed entry of a Keras 3 .keras zip), read where it lies, without a
  // copy in memory; `name` is what messages call it. `observer` (optional) sees every byte
  // libhdf5 reads through it and must outlive the File.
  static File open_range(const std::filesystem::path& container, std::uint64_t offset, std::uint64_t size,
                         const std::filesystem::path& name, RangeReadObserver* observer = nullptr);
  // Creates a file that lives in memory only; image() gives its bytes. `expected_bytes` (the
  // data it will hold, roughly) sizes the memory it grows by, so that writing does not copy
  // the growing image over and over.
  static File create_in_memory(const std::filesystem::path& name, std::size_t expected_bytes = 0);
  // The file's bytes as they stand (flushed first); for files made by create_in_memory.
  std::vector<char> image() const;
  std::uintmax_t size_on_disk() const { return size_; }
  // Flushes and closes; a failed flush is an error.
  void close();

  File(File&&) = default;
  File& operator=(File&&) = default;
  // Closes the root group and the file before an in-memory image they read goes.
  ~File();

 private:
  File(Id root, Location location, std::uintmax_t size, Id file)
      : Group(std::move(root), std::move(location)), size_(size), file_(std::move(file)) {}
  // The open file as a File whose root group keeps it open.
  static File wrap_root(Id file, Location location, std::uintmax_t size);
  std::uintmax_t size_ = 0;
  std::shared_ptr<const std::vector<char>> image_;  // bytes HDF5 reads in place (open_image)
  Id file_;  // the file itself; the Group base holds its root group
};

// True when the file starts with the HDF5 signature at offset 0, 512, 1024, 2048, ...
bool has_hdf5_signature(const std::filesystem::path& path);
bool has_hdf5_signature(const std::vector<char>& bytes);

}  // namespace ksave::plugins::h5
