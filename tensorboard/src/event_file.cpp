#include "event_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>

#include "ksave/error.hpp"
#include "ksave/tensorboard/records.hpp"

namespace ksave::tensorboard {
namespace {

namespace fs = std::filesystem;

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

// TensorFlow's name: events.out.tfevents.<%010d seconds>.<host>.<pid>.<writer number>.v2 (the
// ".v2" suffix of TF2's summary writers); the number keeps two writers of one second apart.
fs::path event_file_name(const fs::path& log_dir) {
  static std::atomic<unsigned> writers{0};
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%010lld", static_cast<long long>(seconds));
  std::string name = "events.out.tfevents.";
  name.append(stamp).append(".").append(host_name()).append(".").append(std::to_string(getpid()));
  name.append(".").append(std::to_string(writers++)).append(".v2");
  return log_dir / name;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

double wall_time_now() {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  return static_cast<double>(micros) / 1e6;
}

EventFile::EventFile(const fs::path& log_dir) {
  std::error_code error;
  fs::create_directories(log_dir, error);
  if (error || !fs::is_directory(log_dir))
    throw Error("TensorBoard: cannot create the log folder '" + log_dir.string() + "': " +
                (error ? error.message() : "a file of that name is in the way"));
  path_ = event_file_name(log_dir);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw Error("TensorBoard: cannot write in the log folder '" + log_dir.string() + "': creating '" +
                path_.filename().string() + "' failed: " + errno_text());
  tfproto::Event first;
  first.set_file_version("brain.Event:2");
  first.mutable_source_metadata()->set_writer("ksave");
  write(first);
  if (!write_buffer()) {
    const std::string reason = errno_text();
    ::close(fd_);
    fd_ = -1;
    throw Error("TensorBoard: cannot write in the log folder '" + log_dir.string() + "': writing '" +
                path_.filename().string() + "' failed: " + reason);
  }
}

EventFile::~EventFile() {
  flush();
  if (fd_ >= 0) ::close(fd_);
}

void EventFile::write(tfproto::Event& event) {
  if (fd_ < 0) return;
  event.set_wall_time(wall_time_now());
  buffer_ += frame_record(event.SerializeAsString());
}

void EventFile::flush() {
  if (fd_ < 0 || buffer_.empty()) return;
  if (!write_buffer()) disable(errno_text());
}

bool EventFile::write_buffer() {
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      buffer_.erase(0, done);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
  return true;
}

void EventFile::disable(const std::string& reason) {
  std::cerr << "WARNING: TensorBoard: writing '" << path_.string() << "' failed (" << reason
            << "); its logs stop here, training goes on\n";
  ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

}  // namespace ksave::tensorboard
