#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <system_error>

#include "ksave/error.hpp"

extern char** environ;

namespace ksave::reliability {

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& environment,
                           std::filesystem::path stderr_file)
    : stderr_file_(std::move(stderr_file)) {
  // Everything the child needs is built before fork: only async-signal-safe calls after it.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings(environment);
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  std::vector<char*> env;
  for (auto& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);
  const int err = ::open(stderr_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int out[2];
  if (err < 0 || ::pipe2(out, O_CLOEXEC) != 0)
    throw Error("cannot start '" + argv.at(0) + "': " + std::system_category().message(errno));
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out[1], 1);
    ::dup2(err, 2);
    ::execve(args[0], args.data(), env.data());
    _exit(127);
  }
  ::close(out[1]);
  ::close(err);
  stdout_fd_ = out[0];
  if (pid_ < 0) throw Error("cannot fork to run '" + argv.at(0) + "': " + std::system_category().message(errno));
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    kill();
    wait();
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

bool ChildProcess::wait_for_line(const std::string& line) {
  for (;;) {
    for (std::size_t end; (end = pending_.find('\n')) != std::string::npos;) {
      const std::string got = pending_.substr(0, end);
      pending_.erase(0, end + 1);
      if (got == line) return true;
    }
    char buffer[256];
    const ssize_t n = ::read(stdout_fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    pending_.append(buffer, static_cast<std::size_t>(n));
  }
}

void ChildProcess::kill() {
  if (pid_ > 0) ::kill(pid_, SIGKILL);
}

bool ChildProcess::drop_output(int timeout_ms) {
  pollfd p{stdout_fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, timeout_ms);
  if (ready <= 0) return ready == 0 || errno == EINTR;
  char buffer[4096];
  const ssize_t n = ::read(stdout_fd_, buffer, sizeof buffer);
  return n > 0 || (n < 0 && errno == EINTR);
}

int ChildProcess::wait() {
  // A child blocks for good once the pipe of its stdout is full (64 KiB; `ksave inspect` of a
  // checkpoint prints more): what it writes is read and dropped while it runs. The pipe is not
  // read to its end, since a grandchild (the command's child-process check) may hold it open.
  int status = 0;
  bool output_open = stdout_fd_ >= 0;
  while (pid_ > 0) {
    const pid_t done = ::waitpid(pid_, &status, output_open ? WNOHANG : 0);
    if (done == pid_ || (done < 0 && errno != EINTR)) break;
    if (output_open) output_open = drop_output(100);
  }
  pid_ = -1;
  return status;
}

std::string ChildProcess::error_output() const {
  std::ifstream in(stderr_file_);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

}  // namespace ksave::reliability
