// NumPy .npy files, format versions 1.0, 2.0 and 3.0.
//
// The files come from users, so the reader trusts nothing in them: every length and every shape
// is checked against the real size of the file before anything is allocated, and every failure
// becomes one ksave::Error naming the file. The writer produces the bytes np.save produces (same
// header text and padding) and replaces the target only once the new file is complete.
#include "ksave/npy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "ksave/saving.hpp"

namespace ksave {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kMagic{"\x93NUMPY", 6};
constexpr std::size_t kMagicAndVersion = 8;
constexpr std::size_t kAlign = 64;         // NumPy starts the data on a 64-byte boundary
constexpr std::size_t kGrowthDigits = 21;  // NumPy's GROWTH_AXIS_MAX_DIGITS (see header_bytes)
constexpr bool kHostBigEndian = std::endian::native == std::endian::big;

std::string errno_text() { return std::system_category().message(errno); }

// Bytes of a damaged file shown in a message: printable ASCII as is, the rest as \xNN.
std::string printable(std::string_view bytes, std::size_t limit = 120) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < limit; ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (bytes.size() > limit) out += "...";
  return out;
}

// A header as shown in messages: without NumPy's padding spaces and final newline.
std::string shown(std::string_view header) {
  while (!header.empty() && (header.back() == ' ' || header.back() == '\n')) header.remove_suffix(1);
  return printable(header);
}

// ---- element types ----

// NumPy's type codes ('f4', 'u2', 'b1') for every DType a .npy file can hold. Both directions
// use this one table.
struct Descr {
  char kind;
  std::size_t size;
  DType dtype;
};
constexpr Descr kDescrs[] = {
    {'f', 2, DType::Float16}, {'f', 4, DType::Float32}, {'f', 8, DType::Float64},
    {'i', 1, DType::Int8},    {'i', 2, DType::Int16},   {'i', 4, DType::Int32},
    {'i', 8, DType::Int64},   {'u', 1, DType::UInt8},   {'u', 2, DType::UInt16},
    {'u', 4, DType::UInt32},  {'u', 8, DType::UInt64},  {'b', 1, DType::Bool},
};

struct ElementFormat {
  DType dtype;
  std::size_t size;
  bool big_endian;
  bool utf32 = false;  // a string array of NumPy's 'U' kind (UCS-4 code points), else bytes
};

// NumPy's fixed-width strings: 'S<n>' (bytes, NumPy's np.bytes_) or 'U<n>' (n UCS-4 code
// points); a string shorter than the width is padded with NULs, which NumPy strips on reading.
std::optional<ElementFormat> string_format(std::string_view s, bool big_endian) {
  if (s.size() < 2 || (s[0] != 'S' && s[0] != 'a' && s[0] != 'U')) return std::nullopt;
  std::size_t width = 0;
  for (char c : s.substr(1)) {
    if (c < '0' || c > '9' || width > (std::size_t{1} << 40)) return std::nullopt;
    width = width * 10 + static_cast<std::size_t>(c - '0');
  }
  if (width == 0) return std::nullopt;
  const bool utf32 = s[0] == 'U';
  return ElementFormat{DType::String, utf32 ? 4 * width : width, big_endian, utf32};
}

ElementFormat parse_descr(const std::string& descr) {
  std::string_view s = descr;
  bool big_endian = kHostBigEndian;  // no byte-order mark, or '=', means the writer's native order
  if (!s.empty() && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=')) {
    if (s[0] == '<') big_endian = false;
    if (s[0] == '>') big_endian = true;
    s.remove_prefix(1);
  }
  if (!s.empty() && s[0] == 'O')
    throw Error("object arrays are not supported (descr '" + printable(descr) +
                "': the data is pickled Python objects)");
  if (const auto strings = string_format(s, big_endian)) return *strings;
  if (s.size() == 2 && s[1] >= '1' && s[1] <= '8') {
    for (const Descr& d : kDescrs)
      if (d.kind == s[0] && d.size == static_cast<std::size_t>(s[1] - '0'))
        return {d.dtype, d.size, big_endian};
  }
  throw Error("unsupported dtype descr '" + printable(descr) +
              "' (supported: f2 f4 f8, i1 to i8, u1 to u8, b1, S<n> and U<n> strings, little- or big-endian)");
}

std::string descr_of(DType dtype) {
  for (const Descr& d : kDescrs)
    if (d.dtype == dtype)
      return std::string(1, d.size == 1 ? '|' : '<') + d.kind + std::to_string(d.size);
  throw Error(std::string(dtype_name(dtype)) + " tensors cannot be stored in .npy files");
}

// ---- the header: a Python dict literal ----

// The subset of Python literals a .npy header holds: strings, integers, booleans, None, tuples
// and lists (structured dtypes, which are then refused with a clear message), and dicts.
// A dict's entries are a struct of their own, not std::pair: std::pair's traits need PyValue
// complete, which it is not yet inside its own definition (clang with libstdc++ refuses it).
struct PyEntry;
struct PyValue {
  enum class Kind { None, Bool, Int, Str, Seq, Dict } kind = Kind::None;
  bool boolean = false;
  std::int64_t integer = 0;
  std::string text;
  std::vector<PyValue> items;
  std::vector<PyEntry> entries;
};
struct PyEntry {
  std::string key;
  PyValue value;
};

class LiteralParser {
 public:
  explicit LiteralParser(std::string_view text) : text_(text) {}

  PyValue parse() {
    PyValue v = value(0);
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the dict");
    return v;
  }

 private:
  // Garbage such as "((((((" must fail cleanly, not exhaust the stack; real headers nest 2 deep.
  static constexpr int kMaxDepth = 16;

  [[noreturn]] void fail(const std::string& what) const {
    throw Error("malformed header (" + what + " at character " + std::to_string(pos_) + "): " +
                shown(text_));
  }
  void skip_space() {
    while (pos_ < text_.size() && std::string_view(" \t\r\n").find(text_[pos_]) != std::string_view::npos)
      ++pos_;
  }
  bool take(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!take(c)) fail(std::string("expected '") + c + "'");
  }

  PyValue value(int depth) {
    if (depth > kMaxDepth) fail("nesting too deep");
    skip_space();
    if (pos_ >= text_.size()) fail("unexpected end");
    char c = text_[pos_];
    if (c == '{') return dict(depth);
    if (c == '(' || c == '[') return sequence(depth);
    if (c == '\'' || c == '"') return string_value();
    if (c == '-' || (c >= '0' && c <= '9')) return integer();
    return word();
  }

  PyValue dict(int depth) {
    expect('{');
    PyValue v;
    v.kind = PyValue::Kind::Dict;
    while (!take('}')) {
      PyValue key = value(depth + 1);
      if (key.kind != PyValue::Kind::Str) fail("dict keys must be strings");
      expect(':');
      v.entries.push_back({key.text, value(depth + 1)});
      if (!take(',')) {
        expect('}');
        break;
      }
    }
    return v;
  }

  // "(3)" is the integer 3 in Python and "(3,)" a tuple; keeping that rule makes "'shape': (3)"
  // an error, as it is for NumPy.
  PyValue sequence(int depth) {
    const char close = text_[pos_++] == '(' ? ')' : ']';
    PyValue v;
    v.kind = PyValue::Kind::Seq;
    bool comma = false;
    while (!take(close)) {
      v.items.push_back(value(depth + 1));
      comma = take(',');
      if (!comma) {
        expect(close);
        break;
      }
    }
    if (close == ')' && v.items.size() == 1 && !comma) return std::move(v.items[0]);
    return v;
  }

  PyValue string_value() {
    const char quote = text_[pos_++];
    std::size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) fail("unterminated string");
    PyValue v;
    v.kind = PyValue::Kind::Str;
    v.text = std::string(text_.substr(pos_, end - pos_));
    if (v.text.find('\\') != std::string::npos) fail("escape sequences are not supported");
    pos_ = end + 1;
    return v;
  }

  PyValue integer() {
    const bool negative = text_[pos_] == '-';
    if (negative) ++pos_;
    if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') fail("expected a digit");
    std::uint64_t magnitude = 0;
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      magnitude = magnitude * 10 + static_cast<std::uint64_t>(text_[pos_++] - '0');
      if (magnitude > kMax) fail("integer too large");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'L' || text_[pos_] == 'l')) ++pos_;  // Python 2 long
    PyValue v;
    v.kind = PyValue::Kind::Int;
    v.integer = negative ? -static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude);
    return v;
  }

  PyValue word() {
    PyValue v;
    struct Word {
      std::string_view name;
      PyValue::Kind kind;
      bool flag;
    };
    static constexpr Word kWords[] = {
        {"True", PyValue::Kind::Bool, true},
        {"False", PyValue::Kind::Bool, false},
        {"None", PyValue::Kind::None, false},
    };
    for (const Word& w : kWords) {
      if (text_.substr(pos_).starts_with(w.name)) {
        pos_ += w.name.size();
        v.kind = w.kind;
        v.boolean = w.flag;
        return v;
      }
    }
    fail("unexpected character");
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

struct Header {
  ElementFormat format;
  std::string descr;
  bool fortran_order = false;
  Shape shape;
};

// NumPy accepts exactly the keys descr, fortran_order and shape; so does this reader.
Header parse_header(std::string_view text) {
  PyValue dict = LiteralParser(text).parse();
  if (dict.kind != PyValue::Kind::Dict) throw Error("header is not a dict: " + shown(text));
  const PyValue* fields[3] = {nullptr, nullptr, nullptr};
  static constexpr std::string_view kKeys[3] = {"descr", "fortran_order", "shape"};
  for (const auto& [key, value] : dict.entries) {
    auto it = std::find(std::begin(kKeys), std::end(kKeys), key);
    if (it == std::end(kKeys)) throw Error("unexpected key '" + printable(key) + "' in the header");
    const PyValue*& slot = fields[it - std::begin(kKeys)];
    if (slot) throw Error("key '" + key + "' appears twice in the header");
    slot = &value;
  }
  for (std::size_t i = 0; i < 3; ++i)
    if (!fields[i])
      throw Error("the header lacks '" + std::string(kKeys[i]) + "': " + shown(text));

  Header h;
  const PyValue& descr = *fields[0];
  if (descr.kind == PyValue::Kind::Seq)
    throw Error("structured arrays (a list of fields as descr) are not supported");
  if (descr.kind != PyValue::Kind::Str) throw Error("'descr' is not a string: " + shown(text));
  h.descr = descr.text;
  h.format = parse_descr(descr.text);

  if (fields[1]->kind != PyValue::Kind::Bool)
    throw Error("'fortran_order' is not True or False: " + shown(text));
  h.fortran_order = fields[1]->boolean;

  if (fields[2]->kind != PyValue::Kind::Seq) throw Error("'shape' is not a tuple: " + shown(text));
  for (const PyValue& dim : fields[2]->items) {
    if (dim.kind != PyValue::Kind::Int || dim.integer < 0)
      throw Error("'shape' must hold non-negative integers: " + shown(text));
    h.shape.push_back(dim.integer);
  }
  return h;
}

// Element count, refusing shapes whose non-zero dimensions multiply past int64 (even with a zero
// dimension elsewhere: the tensor code would overflow on them).
std::uint64_t checked_count(const Shape& shape, const std::string& descr) {
  std::uint64_t nonzero = 1;
  bool has_zero = false;
  for (Dim d : shape) {
    if (d == 0) {
      has_zero = true;
      continue;
    }
    if (__builtin_mul_overflow(nonzero, static_cast<std::uint64_t>(d), &nonzero) ||
        nonzero > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      throw Error("shape " + shape_to_string(shape) + " of '" + printable(descr) +
                  "' has more than 2^63 elements");
  }
  return has_zero ? 0 : nonzero;
}

// ---- data layout ----

// NumPy may store an array in Fortran order (first axis fastest); tensors are in C order (last
// axis fastest). Walks the destination in C order while tracking the source offset. N is the
// element size when known at compile time (numbers), else 0 and `size` gives it (strings).
template <std::size_t N>
void fortran_to_c(const std::byte* src, std::byte* dst, const Shape& shape, std::uint64_t count,
                  [[maybe_unused]] std::size_t size) {
  const std::size_t element = N ? N : size;
  const std::size_t rank = shape.size();
  std::vector<std::uint64_t> stride(rank), index(rank, 0);
  std::uint64_t s = 1;
  for (std::size_t k = 0; k < rank; ++k) {
    stride[k] = s;
    s *= static_cast<std::uint64_t>(shape[k]);
  }
  std::uint64_t from = 0;
  for (std::uint64_t n = 0; n < count; ++n) {
    std::memcpy(dst + n * element, src + from * element, element);
    for (std::size_t k = rank; k-- > 0;) {
      from += stride[k];
      if (++index[k] < static_cast<std::uint64_t>(shape[k])) break;
      from -= stride[k] * static_cast<std::uint64_t>(shape[k]);
      index[k] = 0;
    }
  }
}

void fortran_to_c(const std::byte* src, std::byte* dst, const Shape& shape, std::uint64_t count,
                  std::size_t size) {
  switch (size) {
    case 1: return fortran_to_c<1>(src, dst, shape, count, size);
    case 2: return fortran_to_c<2>(src, dst, shape, count, size);
    case 4: return fortran_to_c<4>(src, dst, shape, count, size);
    case 8: return fortran_to_c<8>(src, dst, shape, count, size);
    default: return fortran_to_c<0>(src, dst, shape, count, size);
  }
}

void swap_bytes(std::byte* data, std::uint64_t count, std::size_t size) {
  for (std::uint64_t n = 0; n < count; ++n) std::reverse(data + n * size, data + (n + 1) * size);
}

// ---- files ----

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() { close(); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  // Returns false (with errno set) when closing reports a failure, which for a written file
  // can be the first sign of a full disk.
  bool close() {
    int fd = std::exchange(fd_, -1);
    return fd < 0 || ::close(fd) == 0;
  }

 private:
  int fd_;
};

// Reads up to `n` bytes; fewer only at the end of the file.
std::size_t read_some(int fd, void* buffer, std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    ssize_t got = ::read(fd, static_cast<char*>(buffer) + done, n - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw Error("read failed: " + errno_text());
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return done;
}

// The file may shrink between fstat and read (another process rewriting it).
void read_exact(int fd, void* buffer, std::size_t n, const char* what) {
  std::size_t got = read_some(fd, buffer, n);
  if (got != n)
    throw Error(std::string("truncated ") + what + ": expected " + std::to_string(n) +
                " bytes, found " + std::to_string(got));
}

// A code point as UTF-8 (NumPy's 'U' arrays hold UCS-4; ksave's string tensors hold bytes).
void append_utf8(std::string& out, std::uint32_t c) {
  if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
    throw Error("a 'U' string holds " + std::to_string(c) + ", which is not a Unicode code point");
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
}

// The elements of a string array (`need` bytes, checked against the file), trailing NULs
// stripped as NumPy strips them.
Tensor read_strings(int fd, const Header& h, std::uint64_t count, std::uint64_t need) {
  std::vector<std::byte> bytes(need);
  if (h.fortran_order && h.shape.size() > 1) {
    std::vector<std::byte> column_major(need);
    read_exact(fd, column_major.data(), need, "data");
    fortran_to_c(column_major.data(), bytes.data(), h.shape, count, h.format.size);
  } else {
    read_exact(fd, bytes.data(), need, "data");
  }
  std::vector<std::string> values(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto* element = reinterpret_cast<const unsigned char*>(bytes.data()) + i * h.format.size;
    std::string& text = values[i];
    if (h.format.utf32) {
      for (std::size_t k = 0; k < h.format.size; k += 4) {
        std::uint32_t c = 0;
        for (int b = 0; b < 4; ++b) c |= std::uint32_t{element[k + (h.format.big_endian ? 3 - b : b)]} << (8 * b);
        append_utf8(text, c);
      }
    } else {
      text.assign(reinterpret_cast<const char*>(element), h.format.size);
    }
    text.erase(text.find_last_not_of('\0') + 1);
  }
  return Tensor::strings(values, h.shape);
}

Tensor read_file(const fs::path& path) {
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) throw Error("cannot open: " + errno_text());
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) throw Error("cannot stat: " + errno_text());
  if (!S_ISREG(st.st_mode)) throw Error("not a regular file");
  const auto file_size = static_cast<std::uint64_t>(st.st_size);

  unsigned char pre[12] = {};
  std::size_t got = read_some(file.get(), pre, 10);
  if (got < 10)
    throw Error("truncated preamble: a .npy file starts with at least 10 bytes, found " +
                std::to_string(got));
  if (std::memcmp(pre, kMagic.data(), kMagic.size()) != 0)
    throw Error("not a .npy file: expected the magic \\x93NUMPY, found " +
                printable({reinterpret_cast<const char*>(pre), kMagic.size()}));
  const int major = pre[6], minor = pre[7];
  std::uint64_t preamble = 10, header_len = pre[8] | (pre[9] << 8);
  if ((major == 2 || major == 3) && minor == 0) {  // uint32 header length
    preamble = 12;
    read_exact(file.get(), pre + 10, 2, "preamble");
    header_len = pre[8] | (pre[9] << 8) | (std::uint64_t{pre[10]} << 16) | (std::uint64_t{pre[11]} << 24);
  } else if (major != 1 || minor != 0) {
    throw Error("unsupported .npy format version " + std::to_string(major) + "." +
                std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)");
  }
  if (preamble + header_len > file_size)
    throw Error("truncated header: header length " + std::to_string(header_len) + " needs " +
                std::to_string(preamble + header_len) + " bytes, found " + std::to_string(file_size));
  std::string text(header_len, '\0');
  read_exact(file.get(), text.data(), text.size(), "header");
  const Header h = parse_header(text);

  // Checked before allocating: the file must really hold the data the header promises.
  const std::uint64_t count = checked_count(h.shape, h.descr);
  const std::uint64_t available = file_size - preamble - header_len;
  std::uint64_t need = 0;
  const std::string described = "shape " + shape_to_string(h.shape) + " of '" + printable(h.descr) + "'";
  if (__builtin_mul_overflow(count, std::uint64_t{h.format.size}, &need))
    throw Error("truncated data: " + described + " needs more than 2^64 bytes, found " +
                std::to_string(available));
  // Trailing bytes are tolerated, as np.load tolerates them.
  if (need > available)
    throw Error("truncated data: " + described + " needs " + std::to_string(need) +
                " bytes after the header, found " + std::to_string(available));

  if (h.format.dtype == DType::String) return read_strings(file.get(), h, count, need);
  Tensor t(h.format.dtype, h.shape);
  auto* out = static_cast<std::byte*>(t.raw_data());
  if (h.fortran_order && h.shape.size() > 1) {
    std::vector<std::byte> column_major(need);
    read_exact(file.get(), column_major.data(), need, "data");
    fortran_to_c(column_major.data(), out, h.shape, count, h.format.size);
  } else {
    read_exact(file.get(), out, need, "data");
  }
  if (h.format.size > 1 && h.format.big_endian != kHostBigEndian) swap_bytes(out, count, h.format.size);
  if (h.format.dtype == DType::Bool)  // any non-zero byte is True; a C++ bool must be 0 or 1
    for (std::uint64_t i = 0; i < count; ++i) out[i] = std::byte{out[i] != std::byte{0}};
  return t;
}

// The header np.save writes: the dict with keys in sorted order, spaces so that a growing first
// axis can be rewritten in place (GROWTH_AXIS_MAX_DIGITS), then padding to 64 bytes and '\n'.
// Like NumPy, a header already aligned still gets a full 64 bytes of padding, and version 2.0 is
// used only when the header outgrows version 1.0's 16-bit length.
std::string header_bytes(const Tensor& tensor, const std::string& descr) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " +
                     shape_to_string(tensor.shape()) + ", }";
  if (!tensor.shape().empty())
    dict.append(kGrowthDigits - std::min(kGrowthDigits, std::to_string(tensor.shape()[0]).size()), ' ');
  const std::size_t text_len = dict.size() + 1;  // with the final '\n'
  auto padding_for = [&](std::size_t prefix) { return kAlign - (prefix + text_len) % kAlign; };
  const bool v2 = text_len + padding_for(kMagicAndVersion + 2) > 0xffff;
  const std::size_t prefix = kMagicAndVersion + (v2 ? 4 : 2);
  const std::size_t padding = padding_for(prefix);
  const std::size_t header_len = text_len + padding;

  std::string out(kMagic);
  out += static_cast<char>(v2 ? 2 : 1);
  out += '\0';
  for (std::size_t i = 0; i < prefix - kMagicAndVersion; ++i)
    out += static_cast<char>((header_len >> (8 * i)) & 0xff);
  out += dict;
  out.append(padding, ' ');
  out += '\n';
  return out;
}

// Writes all of `data` (write(2) may write less than asked).
void write_all(int fd, const void* data, std::size_t n, const fs::path& file) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t done = ::write(fd, p, n);
    if (done < 0 && errno == EINTR) continue;
    if (done < 0) throw Error("cannot write " + file.string() + ": " + errno_text());
    p += done;
    n -= static_cast<std::size_t>(done);
  }
}

// The bytes `header` then `write_data(fd, file)`, replacing `path` only once complete and on disk.
template <typename WriteData>
void write_complete(const fs::path& path, const std::string& header, WriteData&& write_data) {
  write_atomically(path, [&](const fs::path& temporary) {
    // 0666 lets the umask decide the permissions, as for any newly created file.
    FileDescriptor file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
    if (file.get() < 0) throw Error("cannot create " + temporary.string() + ": " + errno_text());
    write_all(file.get(), header.data(), header.size(), temporary);
    write_data(file.get(), temporary);
    if (!file.close()) throw Error("cannot write " + temporary.string() + ": " + errno_text());
  });
}

// String tensors as NumPy bytes ('S<n>', n the longest element, at least 1), NUL-padded: what
// np.save writes for an array of bytes objects. (A string's own trailing NULs do not survive,
// as in NumPy.)
void write_strings(const fs::path& path, const Tensor& tensor) {
  std::size_t width = 1;
  for (const std::string& s : tensor.string_values()) width = std::max(width, s.size());
  std::string data;
  data.reserve(width * tensor.string_values().size());
  for (const std::string& s : tensor.string_values()) {
    data += s;
    data.append(width - s.size(), '\0');
  }
  write_complete(path, header_bytes(tensor, "|S" + std::to_string(width)),
                 [&](int fd, const fs::path& file) { write_all(fd, data.data(), data.size(), file); });
}

void write_file(const fs::path& path, const Tensor& tensor) {
  if (!tensor.defined()) throw Error("the tensor is undefined");
  if (tensor.dtype() == DType::String) return write_strings(path, tensor);
  const std::string header = header_bytes(tensor, descr_of(tensor.dtype()));
  Tensor data = tensor;
  if (kHostBigEndian && dtype_size(tensor.dtype()) > 1) {
    data = tensor.clone();
    swap_bytes(static_cast<std::byte*>(data.raw_data()), static_cast<std::uint64_t>(data.size()),
               dtype_size(data.dtype()));
  }
  write_complete(path, header, [&](int fd, const fs::path& file) { write_all(fd, data.raw_data(), data.nbytes(), file); });
}

// Adds the operation and the file to every failure, whatever layer raised it.
template <typename Fn>
auto naming_file(const char* operation, const fs::path& path, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    throw Error(std::string(operation) + ": " + path.string() + ": out of memory");
  } catch (const std::exception& e) {
    throw Error(std::string(operation) + ": " + path.string() + ": " + e.what());
  }
}

}  // namespace

Tensor read_npy(const fs::path& path) {
  return naming_file("read_npy", path, [&] { return read_file(path); });
}

void write_npy(const fs::path& path, const Tensor& tensor) {
  naming_file("write_npy", path, [&] { write_file(path, tensor); });
}

}  // namespace ksave
