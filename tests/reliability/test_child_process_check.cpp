// check_in_child_process, the guard `ksave inspect`, `convert` and `predict` put around every read
// of an untrusted file: what each way a read can end (an Error, a UsageError, a crash, a hang,
// success) becomes in the caller, and that the child never writes the caller's output; and the
// harnesses' ChildProcess, which runs the `ksave` command on damaged files.
#define BOOST_TEST_MODULE reliability_child_process_check
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>

#include "child_process.hpp"
#include "ksave/error.hpp"
#include "ksave/saving.hpp"
#include "support/test_data.hpp"

using namespace ksave;

namespace {

// The message of the Error check_in_child_process throws for `read` ("" when it throws none).
template <typename ErrorType = Error>
std::string refusal_of(const std::function<void()>& read, double time_limit_seconds = 30) {
  try {
    check_in_child_process("the test read", read, time_limit_seconds);
  } catch (const ErrorType& e) {
    return e.what();
  }
  return "";
}

// Everything written on this process's stdout while `action` runs (stdout's buffer included).
std::string stdout_during(const std::function<void()>& action) {
  const std::filesystem::path file = ksave::test::scratch_dir("child_process_check") / "stdout";
  std::fflush(stdout);
  const int saved = ::dup(1);
  const int capture = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  BOOST_REQUIRE(saved >= 0 && capture >= 0);
  ::dup2(capture, 1);
  ::close(capture);
  action();
  std::fflush(stdout);
  ::dup2(saved, 1);
  ::close(saved);
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++count;
  return count;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_read_that_succeeds_returns) {
  BOOST_CHECK_NO_THROW(check_in_child_process("the test read", [] {}, 30));
}

BOOST_AUTO_TEST_CASE(an_error_of_the_reader_comes_back_with_its_message) {
  BOOST_TEST(refusal_of([] { throw Error("'m.h5': dataset 'kernel:0' has 3 dimensions, expected 2"); }) ==
             "'m.h5': dataset 'kernel:0' has 3 dimensions, expected 2");
  BOOST_TEST(refusal_of<UsageError>([] { throw UsageError("Unknown layer: 'Nope'"); }) == "Unknown layer: 'Nope'");
}

BOOST_AUTO_TEST_CASE(a_crashing_reader_is_an_error_naming_the_signal) {
  const std::string message = refusal_of([] {
    std::signal(SIGSEGV, SIG_DFL);  // Boost.Test's handler (inherited by the child) would catch it
    std::raise(SIGSEGV);
  });
  BOOST_TEST(message.find("crashed the reader (signal 11") != std::string::npos, message);
  BOOST_TEST(message.find("the test read") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(a_reader_past_the_time_limit_is_stopped) {
  const auto start = std::chrono::steady_clock::now();
  const std::string message = refusal_of([] { ::pause(); }, 0.5);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BOOST_TEST(message.find("did not finish within") != std::string::npos, message);
  BOOST_TEST(seconds < 20, "stopped after " << seconds << " s");
}

// A reader's warning on std::cerr flushes the tied std::cout, and with it stdout's buffer,
// which the child holds a copy of: the caller's unwritten output was written twice.
BOOST_AUTO_TEST_CASE(the_child_never_writes_the_callers_buffered_output) {
  const std::string written = stdout_during([] {
    std::printf("[caller's line, still in the buffer]");
    check_in_child_process("the test read", [] { std::cerr << "ksave: warning: the test reader warns\n"; }, 30);
  });
  BOOST_TEST(occurrences(written, "[caller's line, still in the buffer]") == 1u, written);
}

// `ksave inspect` of a checkpoint prints more than a pipe holds (64 KiB): the damage sweep waited
// for it without reading, and both blocked for good. A hang here ends at the test's TIMEOUT.
BOOST_AUTO_TEST_CASE(a_child_writing_more_than_a_pipe_holds_ends) {
  const std::filesystem::path log = ksave::test::scratch_dir("child_process_output") / "stderr";
  ksave::reliability::ChildProcess child({"/bin/sh", "-c", "head -c 1000000 /dev/zero"}, {}, log);
  const int status = child.wait();
  BOOST_TEST(ksave::reliability::describe_status(status) == "exit status 0");
}
