#include "string_attributes.hpp"

#include <algorithm>
#include <utility>

#include "global_heap_check.hpp"

namespace ksave::plugins::h5 {
namespace {

std::string strip_padding(const char* data, std::size_t size, H5T_str_t pad) {
  std::string s(data, size);
  if (pad == H5T_STR_SPACEPAD) {
    s.erase(s.find_last_not_of(' ') + 1);
  } else {
    // NULLTERM and NULLPAD: the text ends at the first NUL (if any).
    std::size_t end = s.find('\0');
    if (end != std::string::npos) s.resize(end);
  }
  return s;
}

std::vector<std::string> read_one_attribute(const Node& node, const std::string& name) {
  Id attr = node.open_attribute(name);
  Id type(H5Aget_type(attr.get()), H5Tclose);
  Id space(H5Aget_space(attr.get()), H5Sclose);
  if (!type.valid() || !space.valid()) node.fail("cannot read the type of attribute '" + name + "'");
  int rank = H5Sget_simple_extent_ndims(space.get());
  hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (rank < 0 || count < 0) node.fail("cannot read the shape of attribute '" + name + "'");
  if (rank > 1) node.fail("attribute '" + name + "' has rank " + std::to_string(rank) + ", expected a string or a list of strings");
  if (count == 0) return {};  // an empty list, whatever its element type (h5py: float64)
  if (H5Tget_class(type.get()) != H5T_STRING)
    node.fail("attribute '" + name + "' holds non-string values, expected text");
  auto n = static_cast<std::size_t>(count);
  // An attribute lives in an object header or the file's heaps: it cannot be larger than the
  // file, which bounds what a damaged header can make us allocate.
  std::uintmax_t file_size = node.location().file_size;
  std::vector<std::string> out;
  out.reserve(std::min<std::size_t>(n, 1 << 16));
  if (H5Tis_variable_str(type.get()) > 0) {
    if (file_size && n > file_size) node.fail("attribute '" + name + "' declares " + std::to_string(n) + " strings, more than the file can hold");
    Id memory(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memory.get(), H5T_VARIABLE);
    H5Tset_cset(memory.get(), H5Tget_cset(type.get()));
    if (auto checked = read_checked_strings(node, attr.get(), n, name)) return std::move(*checked);
    std::vector<char*> pointers(n, nullptr);
    if (H5Aread(attr.get(), memory.get(), pointers.data()) < 0) node.fail("cannot read attribute '" + name + "'");
    for (char* p : pointers) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(memory.get(), space.get(), H5P_DEFAULT, pointers.data());
  } else {
    std::size_t size = H5Tget_size(type.get());
    if (size == 0 || (file_size && n * size > file_size))
      node.fail("attribute '" + name + "' declares " + std::to_string(n) + " strings of " + std::to_string(size) + " bytes, more than the file can hold");
    Id memory(H5Tcopy(type.get()), H5Tclose);
    std::vector<char> buffer(n * size);
    if (H5Aread(attr.get(), memory.get(), buffer.data()) < 0) node.fail("cannot read attribute '" + name + "'");
    H5T_str_t pad = H5Tget_strpad(type.get());
    for (std::size_t i = 0; i < n; ++i) out.push_back(strip_padding(buffer.data() + i * size, size, pad));
  }
  return out;
}

Id string_type(std::size_t size, Charset charset) {
  Id type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), size);
  H5Tset_cset(type.get(), charset == Charset::Utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
  H5Tset_strpad(type.get(), size == H5T_VARIABLE ? H5T_STR_NULLTERM : H5T_STR_NULLPAD);
  return type;
}

Id create_attribute(Node& node, const std::string& name, hid_t type, hid_t space) {
  node.delete_attribute(name);
  Id attr(H5Acreate2(node.id(), name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) node.fail("cannot create attribute '" + name + "'");
  return attr;
}

void write_fixed_length_list(Node& node, const std::string& name, const std::vector<std::string>& values,
                             std::size_t begin, std::size_t end, std::size_t width) {
  std::vector<char> buffer((end - begin) * width, '\0');
  for (std::size_t i = begin; i < end; ++i) std::copy(values[i].begin(), values[i].end(), buffer.begin() + static_cast<std::ptrdiff_t>((i - begin) * width));
  Id type = string_type(width, Charset::Ascii);
  hsize_t dims[1] = {end - begin};
  Id space(H5Screate_simple(1, dims, nullptr), H5Sclose);
  Id attr = create_attribute(node, name, type.get(), space.get());
  if (H5Awrite(attr.get(), type.get(), buffer.data()) < 0) node.fail("cannot write attribute '" + name + "'");
}

}  // namespace

std::optional<std::vector<std::string>> read_string_list(const Node& node, const std::string& name) {
  if (node.has_attribute(name)) return read_one_attribute(node, name);
  if (!node.has_attribute(name + "0")) return std::nullopt;
  std::vector<std::string> all;
  for (std::size_t i = 0; node.has_attribute(name + std::to_string(i)); ++i) {
    auto part = read_one_attribute(node, name + std::to_string(i));
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

std::optional<std::string> read_string(const Node& node, const std::string& name) {
  if (!node.has_attribute(name)) return std::nullopt;
  auto values = read_one_attribute(node, name);
  if (values.size() != 1)
    node.fail("attribute '" + name + "' holds " + std::to_string(values.size()) + " strings, expected one");
  return values.front();
}

std::string require_string(const Node& node, const std::string& name) {
  auto value = read_string(node, name);
  if (!value) node.fail("attribute '" + name + "' is missing");
  return *value;
}

void write_string(Node& node, const std::string& name, const std::string& value, Charset charset) {
  Id type = string_type(H5T_VARIABLE, charset);
  Id space(H5Screate(H5S_SCALAR), H5Sclose);
  Id attr = create_attribute(node, name, type.get(), space.get());
  const char* data = value.c_str();
  if (H5Awrite(attr.get(), type.get(), &data) < 0) node.fail("cannot write attribute '" + name + "'");
}

void write_string_list(Node& node, const std::string& name, const std::vector<std::string>& values) {
  if (values.empty()) {
    hsize_t dims[1] = {0};
    Id space(H5Screate_simple(1, dims, nullptr), H5Sclose);
    create_attribute(node, name, H5T_IEEE_F64LE, space.get());
    return;
  }
  std::size_t width = 1;  // numpy gives an array of empty bytes the dtype S1
  for (const auto& v : values) width = std::max(width, v.size());
  if (width > kAttributeByteLimit)
    node.fail("cannot save attribute '" + name + "': an entry is " + std::to_string(width) + " bytes long, more than HDF5's limit of " +
              std::to_string(kAttributeByteLimit));
  // numpy.array_split into k pieces: the first (n mod k) pieces hold one element more.
  std::size_t n = values.size();
  std::size_t pieces = 1;
  while (((n + pieces - 1) / pieces) * width > kAttributeByteLimit) ++pieces;
  if (pieces == 1) {
    write_fixed_length_list(node, name, values, 0, n, width);
    return;
  }
  std::size_t begin = 0;
  for (std::size_t k = 0; k < pieces; ++k) {
    std::size_t size = n / pieces + (k < n % pieces ? 1 : 0);
    write_fixed_length_list(node, name + std::to_string(k), values, begin, begin + size, width);
    begin += size;
  }
}

}  // namespace ksave::plugins::h5
