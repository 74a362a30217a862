// SaveLock: one writer per target path, and the leftovers of dead writers removed.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <regex>
#include <system_error>

#include "ksave/durable_files.hpp"
#include "ksave/error.hpp"

namespace ksave {
namespace fs = std::filesystem;

namespace {

std::string system_reason() { return std::system_category().message(errno); }

std::string hidden_name(const fs::path& target, const std::string& tag) {
  std::string name = ".";  // built by appending (GCC 12 -Wrestrict false positive on "." + string)
  name += target.filename().string();
  name += tag;
  return name;
}

// Opens and locks the lock file. A holder removes the file before unlocking it, so a waiter can
// end up holding a lock on a file that is no longer at the path: it then tries again on the
// file now there, which makes removal on release safe.
int acquire(const fs::path& lock_file, const fs::path& target) {
  for (;;) {
    const int fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      throw Error("cannot save '" + target.string() + "': cannot create its lock file '" + lock_file.string() +
                  "': " + system_reason());
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      const std::string reason = system_reason();
      ::close(fd);
      throw Error("cannot save '" + target.string() + "': cannot lock '" + lock_file.string() + "': " + reason);
    }
    struct stat held {}, current {};
    if (::fstat(fd, &held) == 0 && ::stat(lock_file.c_str(), &current) == 0 && held.st_dev == current.st_dev &&
        held.st_ino == current.st_ino)
      return fd;
    ::close(fd);
  }
}

// The PID tells someone looking at a lock file which process is (or was) saving.
void record_writer(int fd) {
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] const ssize_t written = ::pwrite(fd, pid.data(), pid.size(), 0);
  }
}

void remove_leftovers(const fs::path& target) {
  const std::string name = target.filename().string();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(target.parent_path(), ec)) {
    if (!is_leftover_of(entry.path().filename().string(), name)) continue;
    std::error_code ignore;  // one that cannot be removed stays for the next writer to try
    fs::remove_all(entry.path(), ignore);
  }
}

}  // namespace

bool is_leftover_of(const std::string& entry, const std::string& target_name) {
  // Only names this code (or its predecessors) makes: a user's own ".x.tmp-notes" stays, and so
  // do the temporaries of a target whose name merely starts like this one.
  // After "tmp-<pid>-<n>": a checkpoint file's ending, "-old" (replace_with without
  // RENAME_EXCHANGE) or libzip's own temporary, "<archive>.XXXXXX" (mkstemp).
  static const std::regex kTail(
      R"(tmp-[0-9]+-[0-9]+(\.index|\.data-[0-9]{5}-of-[0-9]{5}|-old|\.[A-Za-z0-9]{6})?|tmp-[0-9]+|old-[0-9]+)");
  const std::string head = "." + target_name + ".";
  return entry.size() > head.size() && entry.compare(0, head.size(), head) == 0 &&
         std::regex_match(entry.begin() + static_cast<std::ptrdiff_t>(head.size()), entry.end(), kTail);
}

SaveLock::SaveLock(const fs::path& target) : target_(fs::absolute(target).lexically_normal()) {
  if (!target_.has_filename()) target_ = target_.parent_path();  // "model/" names the folder "model"
  const fs::path folder = target_.parent_path();
  if (!fs::is_directory(folder))
    throw Error("cannot save '" + target.string() + "': folder '" + folder.string() + "' does not exist");
  lock_file_ = folder / hidden_name(target_, ".lock");
  fd_ = acquire(lock_file_, target_);
  record_writer(fd_);
  remove_leftovers(target_);
}

SaveLock::~SaveLock() {
  ::unlink(lock_file_.c_str());  // before unlocking: see acquire()
  ::close(fd_);
}

fs::path SaveLock::temporary(const std::string& suffix) const {
  static std::atomic<unsigned long long> counter{0};
  return target_.parent_path() /
         (hidden_name(target_, ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(++counter)) + suffix);
}

}  // namespace ksave
