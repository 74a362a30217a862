// A child process for the reliability harnesses: started with extra environment variables, its
// stdout read line by line through a pipe, its stderr kept in a file for messages, killed with
// SIGKILL or waited for.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace ksave::reliability {

class ChildProcess {
 public:
  // Runs argv[0] with `argv` and the parent's environment plus `environment` ("NAME=value").
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& environment,
               std::filesystem::path stderr_file);
  ~ChildProcess();  // kills and reaps a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Blocks until the child prints `line` on stdout; false when its stdout closes first.
  bool wait_for_line(const std::string& line);
  void kill();
  // Waits for the end, dropping what the child still writes on stdout; the wait status
  // (WIFEXITED, WEXITSTATUS, WIFSIGNALED...).
  int wait();
  // What the child wrote on stderr so far.
  std::string error_output() const;

 private:
  // Reads and drops what the child wrote on stdout, waiting up to `timeout_ms` for it; false
  // once the pipe is closed.
  bool drop_output(int timeout_ms);

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string pending_;  // stdout bytes read past the last line looked at
  std::filesystem::path stderr_file_;
};

// "exit status N" or "killed by signal N".
std::string describe_status(int status);

}  // namespace ksave::reliability
