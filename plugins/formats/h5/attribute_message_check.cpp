#include "attribute_message_check.hpp"

#include <cstring>
#include <deque>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "file_layout.hpp"

namespace ksave::plugins::h5 {
namespace {

constexpr unsigned kContinuationMessage = 0x10;
constexpr unsigned kAttributeMessage = 0x0C;
constexpr unsigned kSharedMessage = 0x02;  // message flag: the message is a reference to a shared one
constexpr unsigned kVariableLengthClass = 9;
constexpr unsigned kLastClass = 10;  // array; libhdf5 1.10 knows classes 0 (integer) to 10
constexpr unsigned kMaxRank = 32;  // libhdf5's H5S_MAX_RANK
// More chunks than this is a cycle of continuation messages or garbage, not a header.
constexpr std::size_t kMaxChunks = 1024;

struct Chunk {
  std::uint64_t address = 0, size = 0;
  bool continuation = false;
};

// The stored bytes [address, address + size), or an empty vector when they are not all in the
// file (libhdf5 then refuses the header itself: the walk stops there).
std::vector<unsigned char> stored(const RawBytes& bytes, const FileLayout& layout, std::uint64_t address,
                                  std::uint64_t size) {
  if (size == 0 || size > bytes.size() || address > bytes.size()) return {};
  std::vector<unsigned char> out(size);
  if (!bytes.read(layout.base + address, size, out.data())) return {};
  return out;
}

// The first chunk of the header at `address` and the width of its messages' headers, as
// libhdf5's H5O__cache_get_final_load_size reads the prefix; nothing when the prefix is not one.
struct Prefix {
  Chunk first;
  int version = 0;
  std::size_t message_header = 0;
};

bool read_prefix(const RawBytes& bytes, const FileLayout& layout, std::uint64_t address, Prefix& prefix) {
  std::vector<unsigned char> p = stored(bytes, layout, address, 16);
  if (p.empty()) return false;
  if (p[0] == 1) {  // version 1: 16 bytes of prefix, messages with 8-byte headers
    prefix = {{address + 16, little_endian(&p[8], 4), false}, 1, 8};
    return true;
  }
  if (std::memcmp(p.data(), "OHDR", 4) != 0 || p[4] != 2) return false;
  const unsigned flags = p[5];
  std::size_t at = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);  // times; attribute phase change
  const std::size_t width = std::size_t{1} << (flags & 3);
  p = stored(bytes, layout, address, at + width);
  if (p.empty()) return false;
  prefix = {{address + at + width, little_endian(&p[at], width), false}, 2, flags & 0x04 ? 6u : 4u};
  return true;
}

// Calls `visit(type, flags, data, size)` for each message of the header at `address`, its
// continuation chunks included.
void for_each_message(const RawBytes& bytes, const FileLayout& layout, std::uint64_t address,
                      const std::function<void(unsigned, unsigned, const unsigned char*, std::size_t)>& visit) {
  Prefix prefix;
  if (!read_prefix(bytes, layout, address, prefix)) return;
  std::deque<Chunk> chunks{prefix.first};
  std::set<std::uint64_t> seen{prefix.first.address};
  while (!chunks.empty()) {
    const Chunk chunk = chunks.front();
    chunks.pop_front();
    const std::vector<unsigned char> data = stored(bytes, layout, chunk.address, chunk.size);
    std::size_t at = 0, end = data.size();
    if (prefix.version == 2 && chunk.continuation) {  // "OCHK", messages, checksum
      if (end < 8 || std::memcmp(data.data(), "OCHK", 4) != 0) continue;
      at = 4;
      end -= 4;
    }
    while (at + prefix.message_header <= end) {
      const unsigned char* h = &data[at];
      const unsigned type = prefix.version == 1 ? static_cast<unsigned>(little_endian(h, 2)) : h[0];
      const std::size_t size = little_endian(h + (prefix.version == 1 ? 2 : 1), 2);
      const unsigned flags = h[prefix.version == 1 ? 4 : 3];
      at += prefix.message_header;
      if (size > end - at) break;  // libhdf5 refuses such a chunk ("corrupt object header")
      const unsigned char* body = &data[at];
      at += size;
      if (type == kContinuationMessage && !(flags & kSharedMessage) && size >= layout.address_size + layout.length_size) {
        const Chunk next{little_endian(body, layout.address_size),
                         little_endian(body + layout.address_size, layout.length_size), true};
        if (seen.size() < kMaxChunks && seen.insert(next.address).second) chunks.push_back(next);
        continue;
      }
      visit(type, flags, body, size);
    }
  }
}

std::uint64_t product(std::uint64_t a, std::uint64_t b, bool& overflow) {
  if (a != 0 && b > UINT64_MAX / a) overflow = true;
  return a * b;
}

// Refuses an attribute message that H5O__attr_decode would read past; `at` is where the
// message starts in the header, for the error message.
void check_attribute(const Node& node, const FileLayout& layout, const unsigned char* m, std::size_t size) {
  if (size < 8) node.fail("an attribute message of " + std::to_string(size) + " bytes is damaged (8 at least expected)");
  const unsigned version = m[0];
  // Versions libhdf5 cannot decode are refused here too: on H5Aiterate's path a failed decode
  // frees the attributes built so far and crashes in H5A__close (found by fuzz_hdf5_image).
  if (version < 1 || version > 3) node.fail("an attribute message of version " + std::to_string(version) + " (1 to 3 expected)");
  const unsigned flags = version >= 2 ? m[1] : 0;
  const std::uint64_t name_size = little_endian(m + 2, 2), type_size = little_endian(m + 4, 2),
                      space_size = little_endian(m + 6, 2);
  // Version 1 pads each part to 8 bytes.
  auto stored_size = [&](std::uint64_t n) { return version == 1 ? aligned8(n) : n; };
  std::uint64_t at = version == 3 ? 9 : 8;
  if (name_size == 0 || name_size > size - at || !std::memchr(m + at, 0, name_size))
    node.fail("an attribute's stored name is damaged: it does not end within its declared " +
              std::to_string(name_size) + " bytes (message of " + std::to_string(size) + " bytes)");
  // libhdf5 also refuses a name that ends before its declared size, but only after decoding part
  // of the message, which H5Fclose then frees half-built (a crash in H5A__close, fuzz_hdf5_image).
  const std::size_t name_length = std::strlen(reinterpret_cast<const char*>(m + at));
  if (name_length + 1 != name_size)
    node.fail("an attribute's stored name is damaged: it ends after " + std::to_string(name_length) +
              " characters, its message declares " + std::to_string(name_size - 1));
  const std::string name(reinterpret_cast<const char*>(m + at));
  const std::string which = "attribute '" + name + "'";
  at += stored_size(name_size);
  if (at > size || type_size > size - at)
    node.fail(which + " is damaged: its datatype (" + std::to_string(type_size) + " bytes) runs past its message");
  const unsigned char* type = m + at;
  at += stored_size(type_size);
  if (at > size || space_size > size - at)
    node.fail(which + " is damaged: its dataspace (" + std::to_string(space_size) + " bytes) runs past its message");
  const unsigned char* space = m + at;
  at += stored_size(space_size);
  if (flags & 0x03) return;  // a shared datatype or dataspace: its size lives elsewhere
  if (type_size < 8) node.fail(which + " is damaged: a datatype of " + std::to_string(type_size) + " bytes");
  auto check_type_header = [&](const unsigned char* t, const char* what) {
    const unsigned type_version = t[0] >> 4, type_class = t[0] & 0x0F;
    if (type_version < 1 || type_version > 3 || type_class > kLastClass)
      node.fail(which + " is damaged: " + what + " of version " + std::to_string(type_version) + " and class " +
                std::to_string(type_class) + " (versions 1 to 3, classes 0 to 10 expected)");
    return type_class;
  };
  const unsigned type_class = check_type_header(type, "a datatype");
  // A variable-length type (the strings Keras stores) carries its base type after its header.
  if (type_class == kVariableLengthClass) {
    if (type_size < 16) node.fail(which + " is damaged: a variable-length datatype of " + std::to_string(type_size) + " bytes");
    check_type_header(type + 8, "the base of its variable-length datatype");
  }
  const std::uint64_t element = little_endian(type + 4, 4);
  // A variable-length element is stored as a length, a heap address and an index, the size
  // libhdf5 writes in the datatype; it sizes the value's buffer by the stored size but reads
  // elements of the true one (H5A__read copied past a buffer a damaged size made smaller).
  const std::uint64_t variable_element = 4 + layout.address_size + 4;
  if (type_class == kVariableLengthClass && element != variable_element)
    node.fail(which + " is damaged: its variable-length datatype declares " + std::to_string(element) +
              "-byte elements, stored ones have " + std::to_string(variable_element));
  const unsigned space_version = space_size > 0 ? space[0] : 0;
  const std::size_t dims_at = space_version == 1 ? 8 : 4;
  if (space_version != 1 && space_version != 2)
    node.fail(which + " is damaged: a dataspace of version " + std::to_string(space_version) + " (1 or 2 expected)");
  if (space_size < dims_at)
    node.fail(which + " is damaged: a dataspace of " + std::to_string(space_size) + " bytes");
  const unsigned rank = space[1];
  if (rank > kMaxRank) node.fail(which + " is damaged: its dataspace declares rank " + std::to_string(rank));
  if (dims_at + rank * layout.length_size > space_size)
    node.fail(which + " is damaged: its dataspace declares rank " + std::to_string(rank) + " in " +
              std::to_string(space_size) + " bytes");
  const bool null_space = space_version == 2 && space[3] == 2;
  bool overflow = false;
  std::uint64_t points = null_space ? 0 : 1;
  for (unsigned d = 0; d < rank; ++d)
    points = product(points, little_endian(space + dims_at + d * layout.length_size, layout.length_size), overflow);
  const std::uint64_t value_size = product(points, element, overflow);
  if (overflow || at > size || value_size > size - at)
    node.fail(which + " is damaged: its value declares " + (overflow ? std::string("more than 2^64") : std::to_string(value_size)) +
              " bytes, its message holds " + std::to_string(at > size ? 0 : size - at));
}

}  // namespace

void check_attribute_messages(const Node& node) {
  const RawBytes* bytes = node.location().raw.get();
  if (!bytes) return;  // a file ksave is writing
  H5O_info_t info;
  if (H5Oget_info2(node.id(), &info, H5O_INFO_BASIC) < 0) node.fail("cannot locate the object's header");
  const FileLayout layout = layout_of(node);
  for_each_message(*bytes, layout, info.addr, [&](unsigned type, unsigned flags, const unsigned char* data, std::size_t size) {
    if (type == kAttributeMessage && !(flags & kSharedMessage)) check_attribute(node, layout, data, size);
  });
}

}  // namespace ksave::plugins::h5
