#include "hdf5_handle.hpp"

#include <hdf5_hl.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>

#include "attribute_message_check.hpp"
#include "file_range_driver.hpp"

namespace ksave::plugins::h5 {
namespace fs = std::filesystem;

std::unique_lock<std::recursive_mutex> hdf5_lock() {
  static std::recursive_mutex mutex;
  std::unique_lock lock(mutex);
  // When closing a file fails (its last flush hits a full disk), libhdf5 1.10.8 leaves the
  // file's id half destroyed, and closing it again segfaults: its clean-up at process exit
  // does exactly that. Without that clean-up (the OS reclaims everything anyway) a save that
  // ran out of space ends with a clear error instead. Effective when ksave is the first to use
  // libhdf5 in the process, as is usual.
  [[maybe_unused]] static const bool no_cleanup_at_exit = H5dont_atexit() >= 0;
  // Errors are reported through ksave::Error; HDF5 must not print its stack to stderr.
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  return lock;
}

std::string hdf5_error_text() {
  std::vector<std::string> messages;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* e, void* data) -> herr_t {
        if (e->desc && *e->desc) static_cast<std::vector<std::string>*>(data)->push_back(e->desc);
        return 0;
      },
      &messages);
  H5Eclear2(H5E_DEFAULT);
  if (messages.empty()) return "";
  // The outermost message says what the call failed to do, the innermost why.
  if (messages.size() == 1) return messages.front();
  return messages.front() + ": " + messages.back();
}

// ---- Id ----

Id& Id::operator=(Id&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.id_;
    close_ = other.close_;
    other.id_ = H5I_INVALID_HID;
  }
  return *this;
}

void Id::reset() {
  if (id_ >= 0 && close_) close_(id_);
  id_ = H5I_INVALID_HID;
}

herr_t Id::close() {
  herr_t status = 0;
  if (id_ >= 0 && close_) status = close_(id_);
  id_ = H5I_INVALID_HID;
  return status;
}

// ---- types ----

Id memory_type(DType dtype) {
  auto copy = [](hid_t t) { return Id(H5Tcopy(t), H5Tclose); };
  switch (dtype) {
    case DType::Float16: {
      // IEEE half as h5py defines it: a float32 type narrowed to 1 sign, 5 exponent and 10
      // mantissa bits.
      Id t = copy(H5T_IEEE_F32LE);
      H5Tset_fields(t.get(), 15, 10, 5, 0, 10);
      H5Tset_size(t.get(), 2);
      H5Tset_ebias(t.get(), 15);
      return t;
    }
    case DType::Float32: return copy(H5T_NATIVE_FLOAT);
    case DType::Float64: return copy(H5T_NATIVE_DOUBLE);
    case DType::Int8: return copy(H5T_NATIVE_INT8);
    case DType::Int16: return copy(H5T_NATIVE_INT16);
    case DType::Int32: return copy(H5T_NATIVE_INT32);
    case DType::Int64: return copy(H5T_NATIVE_INT64);
    case DType::UInt8: return copy(H5T_NATIVE_UINT8);
    case DType::UInt16: return copy(H5T_NATIVE_UINT16);
    case DType::UInt32: return copy(H5T_NATIVE_UINT32);
    case DType::UInt64: return copy(H5T_NATIVE_UINT64);
    case DType::Bool: return copy(H5T_NATIVE_HBOOL);
    // h5py has no bfloat16: ml_dtypes' arrays go in as 2-byte opaque data without a tag (Keras 3
    // adds a dtype attribute "bfloat16", tf-keras nothing).
    case DType::BFloat16: return Id(H5Tcreate(H5T_OPAQUE, 2), H5Tclose);
    case DType::String: break;
  }
  throw Error("HDF5 weights cannot hold " + std::string(dtype_name(dtype)) + " tensors");
}

namespace {

std::string type_class_name(hid_t type) {
  switch (H5Tget_class(type)) {
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_OPAQUE: return "opaque";
    case H5T_BITFIELD: return "bitfield";
    case H5T_REFERENCE: return "reference";
    case H5T_ENUM: return "enum";
    case H5T_VLEN: return "variable-length sequence";
    case H5T_ARRAY: return "array";
    case H5T_TIME: return "time";
    default: return "unknown type";
  }
}

// h5py's bfloat16 (see memory_type).
bool is_bfloat16_type(hid_t type) {
  if (H5Tget_class(type) != H5T_OPAQUE || H5Tget_size(type) != 2) return false;
  char* tag = H5Tget_tag(type);
  const bool untagged = tag == nullptr || tag[0] == '\0';
  H5free_memory(tag);
  return untagged;
}

}  // namespace

DType dtype_of_type(hid_t type, const std::string& where) {
  std::size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_FLOAT:
      if (size == 2) return DType::Float16;
      if (size == 4) return DType::Float32;
      if (size == 8) return DType::Float64;
      break;
    case H5T_INTEGER: {
      bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
      if (size == 1) return is_signed ? DType::Int8 : DType::UInt8;
      if (size == 2) return is_signed ? DType::Int16 : DType::UInt16;
      if (size == 4) return is_signed ? DType::Int32 : DType::UInt32;
      if (size == 8) return is_signed ? DType::Int64 : DType::UInt64;
      break;
    }
    case H5T_ENUM:
      // h5py stores numpy bool as a one-byte enum {FALSE, TRUE}.
      if (size == 1) return DType::Bool;
      break;
    case H5T_OPAQUE:
      if (is_bfloat16_type(type)) return DType::BFloat16;
      break;
    default:
      throw Error(where + " holds " + type_class_name(type) + " data, expected numbers");
  }
  throw Error(where + " holds numbers of an unsupported size (" + std::to_string(size) + " bytes)");
}

// ---- Location / Node ----

std::string Location::describe() const {
  return "'" + (path.empty() ? std::string("/") : path) + "' in '" + file.string() + "'";
}

Location Location::child(const std::string& name) const {
  Location c = *this;
  c.path = (path == "/" || path.empty() ? "/" : path + "/") + name;
  return c;
}

void Node::fail(const std::string& what) const {
  std::string detail = hdf5_error_text();
  throw Error(what + " (" + location_.describe() + ")" + (detail.empty() ? "" : ": HDF5 says: " + detail));
}

void Node::check_attributes_once() const {
  if (attributes_checked_) return;
  check_attribute_messages(*this);
  attributes_checked_ = true;
}

bool Node::has_attribute(const std::string& name) const {
  check_attributes_once();  // libhdf5 decodes every attribute message of the header
  htri_t exists = H5Aexists(id(), name.c_str());
  if (exists < 0) fail("cannot look up attribute '" + name + "'");
  return exists > 0;
}

std::vector<std::string> Node::attribute_names() const {
  check_attributes_once();
  std::vector<std::string> names;
  hsize_t index = 0;
  herr_t status = H5Aiterate2(
      id(), H5_INDEX_NAME, H5_ITER_INC, &index,
      [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
        static_cast<std::vector<std::string>*>(data)->push_back(name);
        return 0;
      },
      &names);
  if (status < 0) fail("cannot list attributes");
  return names;
}

Id Node::open_attribute(const std::string& name) const {
  if (!has_attribute(name)) fail("attribute '" + name + "' is missing");
  Id a(H5Aopen(id(), name.c_str(), H5P_DEFAULT), H5Aclose);
  if (!a.valid()) fail("cannot open attribute '" + name + "'");
  return a;
}

void Node::delete_attribute(const std::string& name) {
  if (has_attribute(name) && H5Adelete(id(), name.c_str()) < 0) fail("cannot delete attribute '" + name + "'");
}

// ---- Dataset ----

Dataset::Dataset(Id id, Location location) : Node(std::move(id), std::move(location)) {
  Id space(H5Dget_space(this->id()), H5Sclose);
  if (!space.valid()) fail("cannot read the dataset's shape");
  H5S_class_t kind = H5Sget_simple_extent_type(space.get());
  if (kind == H5S_NULL) fail("dataset has no dataspace (H5S_NULL)");
  int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail("cannot read the dataset's rank");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0) fail("cannot read the dataset's dimensions");
  for (hsize_t d : dims) {
    if (d > static_cast<hsize_t>(std::numeric_limits<std::int64_t>::max())) fail("dataset dimension too large");
    shape_.push_back(static_cast<Dim>(d));
  }
}

bool Dataset::is_numeric() const {
  Id type(H5Dget_type(id()), H5Tclose);
  H5T_class_t c = H5Tget_class(type.get());
  return c == H5T_FLOAT || c == H5T_INTEGER || (c == H5T_ENUM && H5Tget_size(type.get()) == 1) || is_bfloat16_type(type.get());
}

DType Dataset::dtype() const {
  Id type(H5Dget_type(id()), H5Tclose);
  if (!type.valid()) fail("cannot read the dataset's type");
  return dtype_of_type(type.get(), "dataset " + location_.describe());
}

std::string Dataset::type_description() const {
  Id type(H5Dget_type(id()), H5Tclose);
  if (!type.valid()) return "unreadable type";
  if (!is_numeric()) return type_class_name(type.get());
  return std::string(dtype_name(dtype()));
}

void Dataset::check_declared_size() const {
  if (location_.file_size == 0) return;
  Id type(H5Dget_type(id()), H5Tclose);
  std::uintmax_t bytes = H5Tget_size(type.get());
  for (Dim d : shape_) {
    if (d != 0 && bytes > std::numeric_limits<std::uintmax_t>::max() / static_cast<std::uintmax_t>(d))
      fail("dataset declares an impossible size " + shape_to_string(shape_));
    bytes *= static_cast<std::uintmax_t>(d);
  }
  Id plist(H5Dget_create_plist(id()), H5Pclose);
  H5D_layout_t layout = H5Pget_layout(plist.get());
  // Compressed chunks can hold more than the file's size, but not without bound.
  std::uintmax_t limit = layout == H5D_CHUNKED ? location_.file_size * 1024 : location_.file_size;
  if (bytes > limit)
    fail("dataset declares shape " + shape_to_string(shape_) + " (" + std::to_string(bytes) +
         " bytes), more than the file's " + std::to_string(location_.file_size) + " bytes can hold");
  // libhdf5 1.10 reads a contiguous or compact dataset's declared size from storage it sized by
  // the layout message, which can hold less: a read past it (a compact layout of 1 byte for 384
  // declared, found by fuzzing) reads beyond libhdf5's own buffer.
  if ((layout != H5D_CONTIGUOUS && layout != H5D_COMPACT) || bytes == 0) return;
  if (const hsize_t stored = H5Dget_storage_size(id()); stored < bytes)
    fail("dataset declares " + std::to_string(bytes) + " bytes but stores only " + std::to_string(stored) +
         (layout == H5D_COMPACT ? " in its layout message (the file is damaged)"
                                : " (never written, or the file is damaged)"));
}

void Dataset::read_into(Tensor& target) const {
  if (target.shape() != shape_)
    fail("dataset has shape " + shape_to_string(shape_) + ", expected " + shape_to_string(target.shape()));
  if (!is_numeric()) fail("dataset holds " + type_description() + " data, expected numbers");
  check_declared_size();
  if (target.size() == 0) return;
  if (dtype() == DType::BFloat16 && target.dtype() != DType::BFloat16) {
    // HDF5 converts nothing from opaque data: read the bits, convert here.
    Tensor raw(DType::BFloat16, shape_);
    read_into(raw);
    const Tensor converted = raw.cast(target.dtype());
    std::memcpy(target.raw_data(), converted.raw_data(), target.nbytes());
    return;
  }
  Id type = memory_type(target.dtype());
  if (H5Dread(id(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, target.raw_data()) < 0)
    fail("cannot read dataset values");
}

Tensor Dataset::read() const { return read_as(dtype()); }

Tensor Dataset::read_as(DType dtype) const {
  if (!is_numeric()) fail("dataset holds " + type_description() + " data, expected numbers");
  check_declared_size();  // before allocating anything the file declares
  Tensor t(dtype, shape_);
  read_into(t);
  return t;
}

void Dataset::write(const Tensor& value) {
  if (value.shape() != shape_) fail("writing shape " + shape_to_string(value.shape()) + " into a dataset of shape " + shape_to_string(shape_));
  if (value.size() == 0) return;
  Id type = memory_type(value.dtype());
  if (H5Dwrite(id(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, value.raw_data()) < 0) fail("cannot write dataset values");
}

// ---- Group ----

namespace {

std::vector<std::string> split_path(const std::string& relative) {
  std::vector<std::string> parts;
  std::string part;
  for (char c : relative) {
    if (c == '/') {
      if (!part.empty()) parts.push_back(part);
      part.clear();
    } else {
      part += c;
    }
  }
  if (!part.empty()) parts.push_back(part);
  return parts;
}

Id link_create_plist() {
  Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  H5Pset_char_encoding(lcpl.get(), H5T_CSET_UTF8);
  return lcpl;
}

// The standard (little-endian) file type for a dtype; h5py writes these on x86.
hid_t file_type(DType dtype) {
  switch (dtype) {
    case DType::Float32: return H5T_IEEE_F32LE;
    case DType::Float64: return H5T_IEEE_F64LE;
    case DType::Int8: return H5T_STD_I8LE;
    case DType::Int16: return H5T_STD_I16LE;
    case DType::Int32: return H5T_STD_I32LE;
    case DType::Int64: return H5T_STD_I64LE;
    case DType::UInt8: return H5T_STD_U8LE;
    case DType::UInt16: return H5T_STD_U16LE;
    case DType::UInt32: return H5T_STD_U32LE;
    case DType::UInt64: return H5T_STD_U64LE;
    default: return H5I_INVALID_HID;
  }
}

}  // namespace

Group Group::self() const {
  Id g(H5Gopen2(id(), ".", H5P_DEFAULT), H5Gclose);
  if (!g.valid()) fail("cannot reopen group");
  return Group(std::move(g), location_);
}

bool Group::has(const std::string& relative) const {
  std::string prefix;
  for (const auto& part : split_path(relative)) {
    prefix += (prefix.empty() ? "" : "/") + part;
    htri_t exists = H5Lexists(id(), prefix.c_str(), H5P_DEFAULT);
    if (exists <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
  }
  return !prefix.empty();
}

namespace {
H5I_type_t object_type(hid_t loc, const std::string& relative) {
  hid_t obj = H5Oopen(loc, relative.c_str(), H5P_DEFAULT);
  if (obj < 0) {
    H5Eclear2(H5E_DEFAULT);
    return H5I_BADID;
  }
  H5I_type_t t = H5Iget_type(obj);
  H5Oclose(obj);
  return t;
}
}  // namespace

bool Group::has_group(const std::string& relative) const {
  return has(relative) && object_type(id(), relative) == H5I_GROUP;
}

bool Group::has_dataset(const std::string& relative) const {
  return has(relative) && object_type(id(), relative) == H5I_DATASET;
}

Group Group::group(const std::string& relative) const {
  Location where = location_.child(relative);
  if (!has(relative)) throw Error("group " + where.describe() + " is missing");
  if (object_type(id(), relative) != H5I_GROUP) throw Error(where.describe() + " is not a group");
  Id g(H5Gopen2(id(), relative.c_str(), H5P_DEFAULT), H5Gclose);
  if (!g.valid()) fail("cannot open group '" + relative + "'");
  return Group(std::move(g), where);
}

Dataset Group::dataset(const std::string& relative) const {
  Location where = location_.child(relative);
  if (!has(relative)) throw Error("dataset " + where.describe() + " is missing");
  if (object_type(id(), relative) != H5I_DATASET) throw Error(where.describe() + " is not a dataset");
  Id d(H5Dopen2(id(), relative.c_str(), H5P_DEFAULT), H5Dclose);
  if (!d.valid()) fail("cannot open dataset '" + relative + "'");
  return Dataset(std::move(d), where);
}

Group Group::create_group(const std::string& relative) {
  if (has(relative)) return group(relative);
  Id lcpl = link_create_plist();
  Id g(H5Gcreate2(id(), relative.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!g.valid()) fail("cannot create group '" + relative + "'");
  return Group(std::move(g), location_.child(relative));
}

Dataset Group::create_dataset(const std::string& relative, DType dtype, const Shape& shape) {
  if (has(relative)) fail("cannot create dataset '" + relative + "': the name is already taken (two weights with one name?)");
  if (dtype == DType::String)
    throw Error("cannot save '" + relative + "' in " + location_.describe() + ": Keras HDF5 files hold numeric weights, not string tensors");
  Id type = dtype == DType::Float16 || dtype == DType::BFloat16 || dtype == DType::Bool ? memory_type(dtype)
                                                                                      : Id(H5Tcopy(file_type(dtype)), H5Tclose);
  if (!type.valid()) fail("cannot store " + std::string(dtype_name(dtype)) + " weights");
  Id space;
  if (shape.empty()) {
    space = Id(H5Screate(H5S_SCALAR), H5Sclose);
  } else {
    std::vector<hsize_t> dims(shape.begin(), shape.end());
    space = Id(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  }
  Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  // Every byte is written right after creation, so prefilling would only cost time; without
  // timestamps, the same model gives the same file bytes.
  H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER);
  H5Pset_obj_track_times(dcpl.get(), 0);
  Id lcpl = link_create_plist();
  Id d(H5Dcreate2(id(), relative.c_str(), type.get(), space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT), H5Dclose);
  if (!d.valid()) fail("cannot create dataset '" + relative + "'");
  return Dataset(std::move(d), location_.child(relative));
}

std::vector<std::string> Group::children() const {
  std::vector<std::string> names;
  hsize_t index = 0;
  herr_t status = H5Literate(
      id(), H5_INDEX_NAME, H5_ITER_INC, &index,
      [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
        static_cast<std::vector<std::string>*>(data)->push_back(name);
        return 0;
      },
      &names);
  if (status < 0) fail("cannot list the group's members");
  return names;
}

// ---- File ----

namespace {

constexpr std::array<char, 8> kHdf5Signature{'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};

// HDF5 looks for its superblock at 0 and after a user block of 512, 1024, 2048, ... bytes;
// `read` fills the 8 bytes at an offset (false when it cannot).
bool signature_at_superblock_offset(std::uintmax_t size, const std::function<bool(std::uintmax_t, std::array<char, 8>&)>& read) {
  for (std::uintmax_t offset = 0; offset + kHdf5Signature.size() <= size; offset = offset == 0 ? 512 : offset * 2) {
    std::array<char, 8> buf{};
    if (!read(offset, buf)) return false;
    if (buf == kHdf5Signature) return true;
  }
  return false;
}

}  // namespace

bool has_hdf5_signature(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  std::uintmax_t size = fs::file_size(path, ec);
  if (ec) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  return signature_at_superblock_offset(size, [&](std::uintmax_t offset, std::array<char, 8>& buf) {
    in.seekg(static_cast<std::streamoff>(offset));
    return static_cast<bool>(in.read(buf.data(), buf.size()));
  });
}

bool has_hdf5_signature(const std::vector<char>& bytes) {
  return signature_at_superblock_offset(bytes.size(), [&](std::uintmax_t offset, std::array<char, 8>& buf) {
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(offset), buf.size(), buf.begin());
    return true;
  });
}

File File::open(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error("cannot open '" + path.string() + "': no such file");
  if (!fs::is_regular_file(path, ec)) throw Error("cannot open '" + path.string() + "' as HDF5: it is not a regular file");
  std::uintmax_t size = fs::file_size(path, ec);
  if (ec) throw Error("cannot open '" + path.string() + "': " + ec.message());
  if (!has_hdf5_signature(path)) throw Error("'" + path.string() + "' is not an HDF5 file (no HDF5 signature found)");
  Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG);
  Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  if (!file.valid()) {
    std::string detail = hdf5_error_text();
    throw Error("cannot open '" + path.string() + "' as HDF5 (damaged or truncated?)" + (detail.empty() ? "" : ": HDF5 says: " + detail));
  }
  return wrap_root(std::move(file), Location{path, "/", size, RawBytes::of_file(path)}, size);
}

File File::open_range(const fs::path& container, std::uint64_t offset, std::uint64_t size, const fs::path& name,
                       RangeReadObserver* observer) {
  std::shared_ptr<const RawBytes> bytes = RawBytes::of_file_range(container, offset, size);
  const bool signed_hdf5 = signature_at_superblock_offset(size, [&](std::uintmax_t at, std::array<char, 8>& buf) {
    return bytes->read(at, buf.size(), buf.data());
  });
  if (!signed_hdf5) throw Error("'" + name.string() + "' is not an HDF5 file (no HDF5 signature found)");
  Id fapl = file_range_access_list(offset, size, observer);
  Id file(H5Fopen(container.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  if (!file.valid()) {
    std::string detail = hdf5_error_text();
    throw Error("cannot open '" + name.string() + "' as HDF5 (damaged or truncated?)" + (detail.empty() ? "" : ": HDF5 says: " + detail));
  }
  return wrap_root(std::move(file), Location{name, "/", size, std::move(bytes)}, size);
}

File File::create(const fs::path& path) {
  Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG);
  // Weights of 64 KiB and more start on a page boundary: copying them out of the page cache is
  // then as fast as a plain read (about 40% faster than from an unaligned offset, measured).
  H5Pset_alignment(fapl.get(), 64 * 1024, 4096);
  Id file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
  if (!file.valid()) throw Error("cannot create HDF5 file '" + path.string() + "': " + hdf5_error_text());
  return wrap_root(std::move(file), Location{path, "/", 0, nullptr}, 0);
}

namespace {

// A file access list for the core (memory) driver that never writes to disk and grows its
// memory `increment` bytes at a time.
Id memory_access_list(std::size_t increment) {
  Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG);
  H5Pset_fapl_core(fapl.get(), increment, false);
  return fapl;
}

constexpr std::size_t kMemoryIncrement = 1 << 20;  // growth beyond the expected size

}  // namespace

File File::wrap_root(Id file, Location location, std::uintmax_t size) {
  Id root(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
  if (!root.valid()) throw Error("cannot open the root group of '" + location.file.string() + "': " + hdf5_error_text());
  // The root group's id keeps the file open; with CLOSE_STRONG, closing it closes everything.
  return File(std::move(root), std::move(location), size, std::move(file));
}

File File::open_image(std::vector<char> bytes, const fs::path& name) {
  if (!has_hdf5_signature(bytes)) throw Error("'" + name.string() + "' is not an HDF5 file (no HDF5 signature found)");
  auto image = std::make_shared<const std::vector<char>>(std::move(bytes));
  // Read in place: HDF5 neither copies nor frees the bytes, which the File keeps until closed.
  Id file(H5LTopen_file_image(const_cast<char*>(image->data()), image->size(),
                              H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE),
          H5Fclose);
  if (!file.valid()) {
    std::string detail = hdf5_error_text();
    throw Error("cannot open '" + name.string() + "' as HDF5 (damaged or truncated?)" + (detail.empty() ? "" : ": HDF5 says: " + detail));
  }
  File f = wrap_root(std::move(file), Location{name, "/", image->size(), RawBytes::of_image(image)}, image->size());
  f.image_ = std::move(image);
  return f;
}

File::~File() {
  id_.reset();
  file_.reset();
}

File File::create_in_memory(const fs::path& name, std::size_t expected_bytes) {
  // Room for the data plus the metadata HDF5 adds, in one allocation when the hint is right.
  Id fapl = memory_access_list(expected_bytes + expected_bytes / 16 + kMemoryIncrement);
  Id file(H5Fcreate(name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
  if (!file.valid()) throw Error("cannot create in-memory HDF5 file '" + name.string() + "': " + hdf5_error_text());
  return wrap_root(std::move(file), Location{name, "/", 0, nullptr}, 0);
}

std::vector<char> File::image() const {
  std::string where = "'";  // built by appending: GCC 12 warns falsely about "'" + temporaries
  where += location_.file.string();
  where += "'";
  if (H5Fflush(file_.get(), H5F_SCOPE_GLOBAL) < 0) throw Error("cannot flush " + where + ": " + hdf5_error_text());
  ssize_t size = H5Fget_file_image(file_.get(), nullptr, 0);
  if (size < 0) throw Error("cannot take the bytes of " + where + ": " + hdf5_error_text());
  std::vector<char> bytes(static_cast<std::size_t>(size));
  if (H5Fget_file_image(file_.get(), bytes.data(), bytes.size()) != size)
    throw Error("cannot take the bytes of " + where + ": " + hdf5_error_text());
  return bytes;
}

void File::close() {
  id_.reset();
  if (file_.valid() && file_.close() < 0)
    throw Error("cannot finish writing '" + location_.file.string() + "': " + hdf5_error_text());
}

}  // namespace ksave::plugins::h5
