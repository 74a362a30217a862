#include "zip_archive.hpp"

#include <zip.h>

#include <algorithm>
#include <array>
#include <fstream>

#include "ksave/error.hpp"
#include "stored_entry_offset.hpp"

namespace ksave::plugins::keras_zip {
namespace fs = std::filesystem;

namespace {

std::string quoted(const fs::path& path) {
  std::string s = "'";
  s += path.string();
  s += "'";
  return s;
}

std::string libzip_error_text(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

// Deflate expands at most about 1032:1; no honest entry claims more than that of its
// compressed size (stored entries claim exactly their compressed size).
constexpr std::uint64_t kMaxDeflateRatio = 1032;
// Zip bombs: Keras stores its entries uncompressed, and weights hardly compress, so an entry of
// more than kSmallEntry bytes inflating more than kMaxInflateRatio times is refused, and so are
// entries declaring in all more than kMaxInflateRatio times the archive (many small entries, or
// entries sharing their compressed data). Small entries (JSON) may compress better.
constexpr std::uint64_t kMaxInflateRatio = 100;
constexpr std::uint64_t kSmallEntry = 1 << 20;

// True when an entry's name leaves the folder the archive would be extracted in: an absolute
// path, a drive or a ".." component (with either slash: Windows tools write backslashes).
bool climbs_out(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.front() == '\\' || (name.size() > 1 && name[1] == ':')) return true;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= name.size(); ++i)
    if (i == name.size() || name[i] == '/' || name[i] == '\\') {
      if (name.compare(start, i - start, "..") == 0) return true;
      start = i + 1;
    }
  return false;
}

}  // namespace

bool has_zip_signature(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  std::array<char, 4> start{};
  if (!in.read(start.data(), start.size())) return false;
  return start == std::array<char, 4>{'P', 'K', '\x03', '\x04'};
}

// ---- ZipReader ----

ZipReader::ZipReader(const fs::path& path) : path_(path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error("cannot open " + quoted(path) + ": no such file");
  if (!fs::is_regular_file(path, ec)) throw Error("cannot open " + quoted(path) + " as a zip archive: it is not a regular file");
  archive_size_ = fs::file_size(path, ec);
  if (ec) throw Error("cannot open " + quoted(path) + ": " + ec.message());
  int code = 0;
  archive_ = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (!archive_) {
    std::string hint = code == ZIP_ER_NOZIP || code == ZIP_ER_INCONS ? " (not a zip archive, or a truncated or damaged one)" : "";
    throw Error("cannot open " + quoted(path) + " as a Keras 3 .keras archive" + hint + ": libzip says: " + libzip_error_text(code));
  }
  try {
    check_entries();
  } catch (...) {
    zip_discard(archive_);  // the destructor does not run for a constructor that throws
    throw;
  }
}

void ZipReader::check_entries() const {
  std::uint64_t total = 0;
  const zip_int64_t count = zip_get_num_entries(archive_, 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive_, static_cast<zip_uint64_t>(i), 0, &stat) != 0 || !stat.name ||
        !(stat.valid & ZIP_STAT_SIZE) || !(stat.valid & ZIP_STAT_COMP_SIZE))
      throw Error("cannot read entry " + std::to_string(i) + " of " + quoted(path_) + ": " + zip_strerror(archive_));
    const std::string name = stat.name;
    if (climbs_out(name))
      throw Error(quoted(path_) + " holds an entry named '" + name + "', which leaves the archive's folder: refused "
                  "(damaged or hostile archive)");
    if (stat.size > kSmallEntry && stat.size / kMaxInflateRatio > stat.comp_size)
      throw Error("entry '" + name + "' of " + quoted(path_) + " declares " + std::to_string(stat.size) + " bytes from " +
                  std::to_string(stat.comp_size) + " compressed, a ratio above " + std::to_string(kMaxInflateRatio) +
                  " that no Keras archive has: refused (a zip bomb?)");
    total += stat.size;
    if (total / kMaxInflateRatio > archive_size_ + kSmallEntry)
      throw Error("the entries of " + quoted(path_) + " declare more than " + std::to_string(total) +
                  " bytes in all, more than " + std::to_string(kMaxInflateRatio) + " times the archive's " +
                  std::to_string(archive_size_) + " bytes: refused (a zip bomb?)");
  }
}

ZipReader::~ZipReader() {
  if (archive_) zip_discard(archive_);
}

std::vector<std::string> ZipReader::entry_names() const {
  std::vector<std::string> names;
  zip_int64_t count = zip_get_num_entries(archive_, 0);
  for (zip_int64_t i = 0; i < count; ++i)
    if (const char* name = zip_get_name(archive_, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_GUESS)) names.emplace_back(name);
  return names;
}

bool ZipReader::has(const std::string& name) const { return zip_name_locate(archive_, name.c_str(), 0) >= 0; }

std::optional<std::vector<char>> ZipReader::read(const std::string& name) const {
  zip_int64_t index = zip_name_locate(archive_, name.c_str(), 0);
  if (index < 0) return std::nullopt;
  const std::string where = "entry '" + name + "' of " + quoted(path_);
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat_index(archive_, static_cast<zip_uint64_t>(index), 0, &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE) ||
      !(stat.valid & ZIP_STAT_COMP_SIZE))
    throw Error("cannot read the size of " + where + ": " + zip_strerror(archive_));
  if (stat.comp_size > archive_size_ || stat.size > std::max<std::uint64_t>(stat.comp_size, 1) * kMaxDeflateRatio)
    throw Error(where + " declares " + std::to_string(stat.size) + " bytes (" + std::to_string(stat.comp_size) +
                " compressed) in an archive of " + std::to_string(archive_size_) + " bytes: the archive is damaged");
  std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> file(zip_fopen_index(archive_, static_cast<zip_uint64_t>(index), 0), zip_fclose);
  if (!file) throw Error("cannot open " + where + ": " + zip_strerror(archive_));
  std::vector<char> bytes(static_cast<std::size_t>(stat.size));
  std::uint64_t done = 0;
  while (done < stat.size) {
    zip_int64_t n = zip_fread(file.get(), bytes.data() + done, stat.size - done);
    if (n < 0) throw Error("cannot read " + where + " (truncated or damaged archive?): " + zip_file_strerror(file.get()));
    if (n == 0) break;
    done += static_cast<std::uint64_t>(n);
  }
  if (done != stat.size)
    throw Error(where + " ended after " + std::to_string(done) + " of its " + std::to_string(stat.size) + " bytes (truncated archive?)");
  // libzip compares the entry's CRC-32 when a read reaches its end: ask for one byte past it.
  char past_end = 0;
  if (zip_fread(file.get(), &past_end, 1) != 0)
    throw Error(where + " is damaged (its content does not match its CRC-32): " + zip_file_strerror(file.get()));
  return bytes;
}

std::vector<char> ZipReader::require(const std::string& name, const std::string& why) const {
  if (auto bytes = read(name)) return std::move(*bytes);
  std::string present;
  for (const auto& n : entry_names()) present += (present.empty() ? "" : ", ") + n;
  throw Error(quoted(path_) + " has no entry '" + name + "' (" + why + "); its entries: " + (present.empty() ? "none" : present));
}

std::optional<ZipReader::Span> ZipReader::stored_span(const std::string& name) const {
  const zip_int64_t index = zip_name_locate(archive_, name.c_str(), 0);
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (index < 0 || zip_stat_index(archive_, static_cast<zip_uint64_t>(index), 0, &stat) != 0) return std::nullopt;
  const auto needed = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD | ZIP_STAT_ENCRYPTION_METHOD | ZIP_STAT_CRC;
  if ((stat.valid & needed) != needed || stat.comp_method != ZIP_CM_STORE || stat.encryption_method != ZIP_EM_NONE ||
      stat.size != stat.comp_size)
    return std::nullopt;
  const auto offset = stored_entry_offset(path_, name);
  if (!offset || *offset > archive_size_ || stat.size > archive_size_ - *offset) return std::nullopt;
  return Span{*offset, stat.size, stat.crc};
}

// ---- ZipWriter ----

ZipWriter::ZipWriter(const fs::path& path) : path_(path) {
  int code = 0;
  archive_ = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
  if (!archive_) throw Error("cannot create zip archive " + quoted(path) + ": " + libzip_error_text(code));
}

ZipWriter::~ZipWriter() {
  if (archive_) zip_discard(archive_);
}

void ZipWriter::add(const std::string& name, std::vector<char> bytes) {
  buffers_.push_back(std::make_unique<std::vector<char>>(std::move(bytes)));
  const std::vector<char>& kept = *buffers_.back();
  zip_source_t* source = zip_source_buffer(archive_, kept.data(), kept.size(), 0);
  if (!source) throw Error("cannot add '" + name + "' to " + quoted(path_) + ": " + zip_strerror(archive_));
  zip_int64_t index = zip_file_add(archive_, name.c_str(), source, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
  if (index < 0) {
    zip_source_free(source);
    throw Error("cannot add '" + name + "' to " + quoted(path_) + ": " + zip_strerror(archive_));
  }
  if (zip_set_file_compression(archive_, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) != 0)
    throw Error("cannot store '" + name + "' uncompressed in " + quoted(path_) + ": " + zip_strerror(archive_));
}

void ZipWriter::add(const std::string& name, const std::string& text) { add(name, std::vector<char>(text.begin(), text.end())); }

void ZipWriter::close() {
  if (zip_close(archive_) != 0) throw Error("cannot write zip archive " + quoted(path_) + ": " + zip_strerror(archive_));
  archive_ = nullptr;
  buffers_.clear();
}

}  // namespace ksave::plugins::keras_zip
