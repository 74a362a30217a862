// A thin RAII layer over libzip for the Keras 3 `.keras` archive: reading named entries of an
// existing archive, and writing a new one whose entries are stored uncompressed, as Keras's
// saving_lib writes them.
//
// Every failure becomes a ksave::Error naming the archive (and the entry), with libzip's own
// message. Entry sizes come from the archive's directory, so they are checked against what
// the archive can hold before anything is allocated.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct zip;

namespace ksave::plugins::keras_zip {

// True when the file starts with a zip local-file header ("PK\x03\x04").
bool has_zip_signature(const std::filesystem::path& path);

class ZipReader {
 public:
  // Opens an existing archive (throws when it is missing, not a zip, or inconsistent).
  explicit ZipReader(const std::filesystem::path& path);
  ~ZipReader();
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::vector<std::string> entry_names() const;
  bool has(const std::string& name) const;
  // The entry's bytes; nullopt when the archive has no such entry.
  std::optional<std::vector<char>> read(const std::string& name) const;
  // Like read, throwing naming the entry and the entries present when it is absent.
  std::vector<char> require(const std::string& name, const std::string& why) const;
  // Where an entry stored uncompressed (and unencrypted) lies in the archive file, for reading it
  // in place, and the CRC-32 its directory gives, which the reader must check (entry_crc.hpp), as
  // read() checks it. Nothing when the entry is absent or compressed, or its place cannot be
  // found (read() then says what is wrong).
  struct Span {
    std::uint64_t offset, size;
    std::uint32_t crc32;
  };
  std::optional<Span> stored_span(const std::string& name) const;

 private:
  // Refuses zip bombs and entries whose names leave the archive's folder (see zip_archive.cpp).
  void check_entries() const;
  std::filesystem::path path_;
  std::uintmax_t archive_size_ = 0;
  zip* archive_ = nullptr;
};

class ZipWriter {
 public:
  // Creates (truncates) an archive at `path`; nothing is written before close().
  explicit ZipWriter(const std::filesystem::path& path);
  ~ZipWriter();  // discards an archive that was not closed
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  // Adds a stored (uncompressed) entry; the writer keeps the bytes until close().
  void add(const std::string& name, std::vector<char> bytes);
  void add(const std::string& name, const std::string& text);
  // Writes the archive (throws when it cannot be written).
  void close();

 private:
  std::filesystem::path path_;
  zip* archive_ = nullptr;
  std::vector<std::unique_ptr<std::vector<char>>> buffers_;  // alive until close()
};

}  // namespace ksave::plugins::keras_zip
