// The CRC-32 (zip's) of a byte range of a file: the check of a stored entry that is then read in
// place, without the copy that libzip's own read would check.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

namespace ksave::plugins::keras_zip {

// The CRC-32 of `size` bytes of `path` from `offset`, or nothing when the file ends before them
// (a truncated archive). Throws ksave::Error when the file cannot be opened.
std::optional<std::uint32_t> file_range_crc32(const std::filesystem::path& path, std::uint64_t offset,
                                              std::uint64_t size);

}  // namespace ksave::plugins::keras_zip
