// check_in_child_process: a read of an untrusted file tried first in a forked child, so that a
// crash or a hang in a reader (ours or a library's) ends that child, not the caller.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>

#include "ksave/error.hpp"
#include "ksave/saving.hpp"

namespace ksave {
namespace {

// How the child reports an exception: one tag byte, then the message.
enum Tag : char { kError = 'E', kUsageError = 'U', kOther = 'X' };

void write_all(int fd, const std::string& bytes) {
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

[[noreturn]] void run_child(int report, int errors, const std::function<void()>& read) {
  ::dup2(errors, 2);  // warnings and sanitizer reports go where the parent can quote them
  int status = 0;
  try {
    read();
  } catch (const UsageError& e) {
    write_all(report, std::string(1, kUsageError) + e.what());
    status = 1;
  } catch (const std::exception& e) {
    write_all(report, std::string(1, dynamic_cast<const Error*>(&e) ? kError : kOther) + e.what());
    status = 1;
  }
  ::_exit(status);  // no exit handlers: they belong to the parent's libraries and files
}

// The last lines the child wrote on stderr (a sanitizer's report, a library's complaint).
std::string tail_of(int fd) {
  const off_t size = ::lseek(fd, 0, SEEK_END);
  const off_t from = size > 600 ? size - 600 : 0;
  std::string text(static_cast<std::size_t>(size - from), '\0');
  if (size <= 0 || ::pread(fd, text.data(), text.size(), from) <= 0) return "";
  for (char& c : text)
    if (c == '\n') c = ' ';
  return "; its last output: " + text;
}

// Reads the child's report until it closes the pipe, or until the deadline (false).
bool read_report(int fd, std::chrono::steady_clock::time_point deadline, bool limited, std::string& report) {
  for (;;) {
    int wait_ms = -1;
    if (limited) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      wait_ms = static_cast<int>(std::min<long long>(left.count(), 1 << 30));
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) return false;
    char buffer[4096];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    report.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace

void check_in_child_process(const std::string& what, const std::function<void()>& read, double time_limit_seconds) {
  int pipe_fds[2];
  const int errors = ::memfd_create("ksave-check-stderr", MFD_CLOEXEC);
  if (errors < 0 || ::pipe2(pipe_fds, O_CLOEXEC) != 0)
    throw Error("cannot check " + what + " in a child process: " + std::system_category().message(errno));
  // The child starts with copies of the caller's unwritten stdio buffers; a reader's warning on
  // std::cerr flushes the tied std::cout, and so stdout, there: the caller's output came twice.
  std::fflush(nullptr);
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(pipe_fds[0]);
    run_child(pipe_fds[1], errors, read);
  }
  ::close(pipe_fds[1]);
  if (child < 0) {
    const std::string reason = std::system_category().message(errno);
    ::close(pipe_fds[0]);
    ::close(errors);
    throw Error("cannot check " + what + " in a child process: " + reason);
  }
  const bool limited = time_limit_seconds > 0;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(limited ? std::min(time_limit_seconds, 1e9) : 0.0));
  std::string report;
  const bool finished = read_report(pipe_fds[0], deadline, limited, report);
  ::close(pipe_fds[0]);
  if (!finished) ::kill(child, SIGKILL);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string output = tail_of(errors);
  ::close(errors);
  if (!finished)
    throw Error("reading " + what + " did not finish within " + std::to_string(time_limit_seconds) +
                " s and was stopped: the file is damaged or hostile (or bigger than the time limit allows)");
  if (WIFSIGNALED(status))
    throw Error("reading " + what + " crashed the reader (signal " + std::to_string(WTERMSIG(status)) + ", " +
                ::strsignal(WTERMSIG(status)) + ", in a child process): the file is damaged or hostile" + output);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && report.empty()) return;
  if (report.empty())
    throw Error("reading " + what + " ended its child process with exit status " +
                std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + output);
  const std::string message = report.substr(1);
  if (report[0] == kUsageError) throw UsageError(message);
  throw Error(message);
}

void check_in_child_process(const std::filesystem::path& path, const LoadOptions& options,
                            const std::function<void()>& read) {
  std::string what = "'";  // built by appending (GCC 12 -Wrestrict false positive on "'" + string)
  what += path.string();
  what += "'";
  check_in_child_process(what, read, options.time_limit_seconds);
}

}  // namespace ksave
