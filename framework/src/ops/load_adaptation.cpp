// Adapting the thread count of ops outside training to a busy machine (ksave/threads.hpp).
//
// Why runnable tasks and not the load average: the load average follows a minute-long mean, and
// a benchmark or build that starts beside a model should change its count within a fraction of a
// second. /proc/loadavg's fourth field is the kernel's count of runnable tasks at this instant;
// this process's own running threads (its OpenMP workers spin for a while after each op) are
// counted from /proc/self/task and taken out, so a model never makes way for itself.
#include "load_adaptation.hpp"

#include <sched.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "ksave/threads.hpp"

namespace ksave {
namespace detail {

IdleCoreRule::IdleCoreRule(int cores) : cores_(std::max(cores, 1)), threads_(cores_) {}

int IdleCoreRule::update(int others) {
  const int idle = std::clamp(cores_ - std::max(others, 0), 1, cores_);
  if (idle == threads_) {
    pending_ = 0;
  } else if (idle == pending_) {
    threads_ = idle;  // the second sample in a row that says so
    pending_ = 0;
  } else {
    pending_ = idle;
  }
  return threads_;
}

namespace {

constexpr std::int64_t kSamplePeriodNs = 100'000'000;

int cores_of_this_process() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return std::max(CPU_COUNT(&set), 1);
}

// A clock read through the vDSO in nanoseconds: ops ask on every call, so it must cost nothing.
std::int64_t coarse_now_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// The runnable tasks of the whole machine (the "R" of /proc/loadavg's "R/T" field).
std::optional<int> runnable_tasks() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen, counts;
  if (!(in >> one >> five >> fifteen >> counts)) return std::nullopt;
  const std::size_t slash = counts.find('/');
  if (slash == std::string::npos || slash == 0) return std::nullopt;
  return std::atoi(counts.substr(0, slash).c_str());
}

// This process's threads in state R (running or waiting for a core).
int own_running_threads() {
  int running = 0;
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", error)) {
    std::ifstream in(task.path() / "stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    // "tid (name) S ...": the name may hold spaces and parentheses, the state follows the last ')'.
    const std::size_t close = line.rfind(')');
    if (close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'R') ++running;
  }
  return running;
}

struct Adaptation {
  std::atomic<bool> on{[] {
    const char* env = std::getenv("KSAVE_ADAPT_THREADS");
    return !env || std::string(env) != "0";
  }()};
  std::atomic<int> threads{INT_MAX};  // the rule's count; INT_MAX before the first sample
  std::atomic<std::int64_t> next_sample_ns{0};
  std::atomic<bool> sampling{false};  // one thread samples at a time; the others keep the last count
  IdleCoreRule rule{cores_of_this_process()};

  void sample_when_due() {
    const std::int64_t now = coarse_now_ns();
    if (now < next_sample_ns.load(std::memory_order_relaxed) || sampling.exchange(true, std::memory_order_acquire))
      return;
    next_sample_ns.store(now + kSamplePeriodNs, std::memory_order_relaxed);
    // This process's running threads counted before and after the machine's: a worker that
    // went to sleep between the two reads is still counted as this process's, not as another
    // task (an error the other way only keeps more threads).
    const int own_before = own_running_threads();
    if (const std::optional<int> runnable = runnable_tasks())
      threads.store(rule.update(*runnable - std::max(own_before, own_running_threads())), std::memory_order_relaxed);
    sampling.store(false, std::memory_order_release);
  }
};

Adaptation& adaptation() {
  static Adaptation state;
  return state;
}

}  // namespace

int adapted_to_load(int configured) {
  Adaptation& state = adaptation();
  if (configured <= 1 || !state.on.load(std::memory_order_relaxed)) return configured;
  state.sample_when_due();
  return std::min(configured, state.threads.load(std::memory_order_relaxed));
}

}  // namespace detail

void set_adapt_threads_to_load(bool on) { detail::adaptation().on.store(on, std::memory_order_relaxed); }

bool adapt_threads_to_load() { return detail::adaptation().on.load(std::memory_order_relaxed); }

}  // namespace ksave
