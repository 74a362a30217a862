#include "global_heap_check.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "file_layout.hpp"

namespace ksave::plugins::h5 {
namespace {

// ---- the raw references, through a conversion function ----
//
// libhdf5 converts an attribute's stored bytes to the memory type asked for. Registered for
// "variable-length string to opaque of the same size", this conversion leaves the stored bytes
// as they are: each element is then its on-disk form, a 4-byte length, the collection's address
// and a 4-byte object index, and libhdf5 has not followed any of them.
herr_t keep_stored_bytes(hid_t source, hid_t destination, H5T_cdata_t* cdata, size_t, size_t, size_t, void*, void*, hid_t) {
  switch (cdata->command) {
    case H5T_CONV_INIT:
      return H5Tget_class(source) == H5T_STRING && H5Tis_variable_str(source) > 0 &&
                     H5Tget_class(destination) == H5T_OPAQUE && H5Tget_size(source) == H5Tget_size(destination)
                 ? 0
                 : -1;
    case H5T_CONV_CONV:
    case H5T_CONV_FREE: return 0;
  }
  return -1;
}

constexpr const char* kRawTag = "ksave: stored variable-length string references";

Id opaque_type(std::size_t size) {
  static const bool registered = [] {
    Id variable_string(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(variable_string.get(), H5T_VARIABLE);
    Id opaque(H5Tcreate(H5T_OPAQUE, 1), H5Tclose);
    H5Tset_tag(opaque.get(), kRawTag);
    return H5Tregister(H5T_PERS_SOFT, "ksave_stored_vlen_references", variable_string.get(), opaque.get(),
                       keep_stored_bytes) >= 0;
  }();
  Id type(H5Tcreate(H5T_OPAQUE, size), H5Tclose);
  if (!registered || !type.valid()) return Id();
  H5Tset_tag(type.get(), kRawTag);
  return type;
}

// ---- global heap collections, walked as libhdf5's H5HG__cache_heap_deserialize walks them ----

struct HeapObject {
  std::uint64_t offset = 0;  // of the object's header, in the collection
  std::uint64_t size = 0;
};

struct Collection {
  std::string problem;                // why libhdf5 could not read it safely; "" when it can
  std::map<unsigned, HeapObject> objects;
  unsigned used = 0;                  // libhdf5's nused: the highest object index + 1
};

Collection walk_collection(const RawBytes& bytes, const FileLayout& layout, std::uint64_t address) {
  Collection c;
  const std::size_t header = 8 + layout.length_size;              // "GCOL", version, 3 reserved, size
  const std::size_t object_header = 8 + layout.length_size;       // index, references, reserved, size
  std::vector<unsigned char> head(header);
  if (address > bytes.size() || !bytes.read(layout.base + address, header, head.data()))
    return {"its global heap collection at address " + std::to_string(address) + " lies outside the file", {}, 0};
  if (std::memcmp(head.data(), "GCOL", 4) != 0 || head[4] != 1)
    return {"address " + std::to_string(address) + " holds no global heap collection", {}, 0};
  const std::uint64_t size = little_endian(head.data() + 8, layout.length_size);
  std::vector<unsigned char> chunk(size >= header && size <= bytes.size() ? size : 0);
  if (chunk.empty() || !bytes.read(layout.base + address, size, chunk.data()))
    return {"the global heap collection at address " + std::to_string(address) + " declares " + std::to_string(size) +
                " bytes, which the file does not hold",
            {}, 0};
  unsigned highest = 0;
  for (std::uint64_t p = header; p < size;) {
    if (p + object_header > size) break;  // too small for an object: free space, as libhdf5 takes it
    const unsigned index = static_cast<unsigned>(little_endian(&chunk[p], 2));
    const std::uint64_t object_size = little_endian(&chunk[p + 8], layout.length_size);
    if (object_size > size)
      return {"an object of the global heap collection at address " + std::to_string(address) + " declares " +
                  std::to_string(object_size) + " bytes, more than the collection's " + std::to_string(size),
              {}, 0};
    // Index 0 is the collection's free space, whose size counts its own header.
    const std::uint64_t step = index > 0 ? object_header + aligned8(object_size) : object_size;
    if (step == 0 || p + step > size)
      return {"the global heap collection at address " + std::to_string(address) + " is damaged (object " +
                  std::to_string(index) + " at offset " + std::to_string(p) +
                  (step == 0 ? " has size 0, on which libhdf5 would loop forever)" : " runs past its end)"),
              {}, 0};
    if (index > 0) {
      c.objects[index] = {p, object_size};
      highest = std::max(highest, index);
    }
    p += step;
  }
  c.used = highest + 1;
  return c;
}

}  // namespace

std::optional<std::vector<std::string>> read_checked_strings(const Node& node, hid_t attribute, std::size_t count,
                                                             const std::string& name) {
  const RawBytes* bytes = node.location().raw.get();
  if (!bytes) return std::nullopt;  // a file ksave is writing: nothing damaged to guard against
  const FileLayout layout = layout_of(node);
  const std::size_t element = 4 + layout.address_size + 4;
  Id opaque = opaque_type(element);
  if (!opaque.valid()) node.fail("cannot prepare the check of attribute '" + name + "'");
  std::vector<unsigned char> stored(count * element);
  if (H5Aread(attribute, opaque.get(), stored.data()) < 0) node.fail("cannot read attribute '" + name + "'");
  std::map<std::uint64_t, Collection> collections;
  std::vector<std::string> strings(count);
  for (std::size_t i = 0; i < count; ++i) {
    const unsigned char* e = stored.data() + i * element;
    const std::uint64_t length = little_endian(e, 4);
    const std::uint64_t address = little_endian(e + 4, layout.address_size);
    const auto index = static_cast<unsigned>(little_endian(e + 4 + layout.address_size, 4));
    if (address == 0 || length == 0) continue;  // a null or empty string: libhdf5 reads no heap
    const std::string which = "string " + std::to_string(i) + " of attribute '" + name + "'";
    if (length > bytes->size()) node.fail(which + " declares " + std::to_string(length) + " bytes, more than the file holds");
    auto found = collections.find(address);
    if (found == collections.end()) found = collections.emplace(address, walk_collection(*bytes, layout, address)).first;
    const Collection& c = found->second;
    if (!c.problem.empty()) node.fail(which + " is damaged: " + c.problem);
    const auto object = c.objects.find(index);
    if (index == 0 || index >= c.used || object == c.objects.end())
      node.fail(which + " is damaged: it refers to object " + std::to_string(index) +
                " of the global heap collection at address " + std::to_string(address) + ", which holds no such object");
    if (object->second.size != length)
      node.fail(which + " is damaged: it declares " + std::to_string(length) + " bytes, its heap object holds " +
                std::to_string(object->second.size));
    // The object's bytes follow its header (index, references, reserved, size).
    std::string& text = strings[i];
    text.resize(length);
    if (!bytes->read(layout.base + address + object->second.offset + 8 + layout.length_size, length, text.data()))
      node.fail(which + " is damaged: its heap object lies outside the file");
    text.resize(std::min(text.size(), text.find('\0')));  // a C string, as libhdf5 would hand it over
  }
  return strings;
}

}  // namespace ksave::plugins::h5
