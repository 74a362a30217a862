// One event file being written: named and started as TensorFlow's EventsWriter does (a first
// event holding the file version), events framed as records and buffered until flush(). Write
// failures after creation warn once and disable the file instead of throwing.
#pragma once

#include <filesystem>
#include <string>

#include "ksave_tf_event.pb.h"

namespace ksave::tensorboard {

class EventFile {
 public:
  // Creates `log_dir` and the file, and writes its first event; throws ksave::Error naming the
  // folder and the reason when any of it fails.
  explicit EventFile(const std::filesystem::path& log_dir);
  ~EventFile();
  EventFile(const EventFile&) = delete;
  EventFile& operator=(const EventFile&) = delete;

  // Buffers `event`, its wall time set to now.
  void write(tfproto::Event& event);
  void flush();
  bool good() const { return fd_ >= 0; }
  const std::filesystem::path& path() const { return path_; }

 private:
  // Writes the buffer; false (with errno set) when the OS refused.
  bool write_buffer();
  void disable(const std::string& reason);

  std::filesystem::path path_;
  int fd_ = -1;
  std::string buffer_;
};

// Seconds since the epoch, with microseconds (an event's wall_time).
double wall_time_now();

}  // namespace ksave::tensorboard
