// TFRecord framing, as TensorFlow's event files (and TFRecord datasets) use it: each record is
//   uint64 length | uint32 masked crc32c(length) | data | uint32 masked crc32c(data)
// little-endian, the CRCs masked as ksave/tf/crc32c.hpp describes.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ksave::tensorboard {

// The framed bytes of one record.
std::string frame_record(std::string_view data);

struct RecordScan {
  std::vector<std::string> records;  // every whole record with valid CRCs, in order
  // Empty when the file ended cleanly after a record; else what stopped the reading ("truncated
  // record at byte 1234: ...", "length crc mismatch at byte 0", ...), as TensorBoard's reader
  // stops at a damaged or partly written record.
  std::string problem;
};

// Reads a file of records. Throws ksave::Error naming the file when it cannot be opened.
RecordScan read_records(const std::filesystem::path& path);

}  // namespace ksave::tensorboard
