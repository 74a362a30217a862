// Where an entry's bytes start in a zip archive file. libzip reads entries but does not tell
// where they lie; an uncompressed entry (Keras stores model.weights.h5 so) can then be read in
// place, as a file of its own, rather than copied whole into memory first.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace ksave::plugins::keras_zip {

// The offset of the first byte of entry `name`'s data in the archive at `path`: found through
// the central directory (zip64 included) and the entry's local header. Nothing when any of
// these is unreadable or inconsistent, or the directory is larger than an honest Keras archive
// needs: the caller then reads the entry through libzip, which reports the damage.
std::optional<std::uint64_t> stored_entry_offset(const std::filesystem::path& path, const std::string& name);

}  // namespace ksave::plugins::keras_zip
