#include "parallel.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <unistd.h>

namespace ksave::detail {

namespace {

// Below this many flops a product finishes in well under 100 µs on one core, so handing half
// of it to a sleeping worker does not pay for the wake-up.
constexpr double kParallelFlops = 4.0e6;

// Persistent workers that sleep on a condition variable between jobs. One job at a time: a
// second caller arriving while a job runs simply computes serially (try_lock), which keeps the
// pool free of queues and of any deadlock between nested or concurrent callers.
class WorkerPool {
 public:
  explicit WorkerPool(int workers) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this, i] { loop(i); });
  }
  ~WorkerPool() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  int workers() const { return static_cast<int>(threads_.size()); }
  // A forked child inherits the pool object but not its threads; it must not wait for them.
  bool usable() const { return getpid() == owner_; }
  std::mutex& job_mutex() { return job_mutex_; }

  // Runs task(0) on the caller and task(1..workers) on the workers; the caller holds job_mutex.
  void run(const std::function<void(int)>& task) {
    {
      std::lock_guard lock(mutex_);
      task_ = &task;
      pending_ = workers();
      error_ = nullptr;
      ++generation_;
    }
    wake_.notify_all();
    std::exception_ptr caller_error;
    try {
      task(0);
    } catch (...) {
      caller_error = std::current_exception();
    }
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    task_ = nullptr;
    if (caller_error) std::rethrow_exception(caller_error);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void loop(int index) {
    std::uint64_t seen = 0;
    for (;;) {
      const std::function<void(int)>* task;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        task = task_;
      }
      std::exception_ptr error;
      try {
        (*task)(index + 1);
      } catch (...) {
        error = std::current_exception();
      }
      {
        std::lock_guard lock(mutex_);
        if (error && !error_) error_ = error;
        if (--pending_ == 0) done_.notify_one();
      }
    }
  }

  const pid_t owner_ = getpid();
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::mutex job_mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int)>* task_ = nullptr;
  int pending_ = 0;
  std::uint64_t generation_ = 0;
  std::exception_ptr error_;
  bool stop_ = false;
};

WorkerPool& pool() {
  static WorkerPool instance(kernel_threads() - 1);
  return instance;
}

}  // namespace

int kernel_threads() {
  static const int threads = [] {
    if (const char* env = std::getenv("KSAVE_NUM_THREADS")) {
      const int n = std::atoi(env);
      if (n >= 1) return std::min(n, 64);
    }
    const int hw = static_cast<int>(std::thread::hardware_concurrency());
    return std::clamp(hw, 1, 8);
  }();
  return threads;
}

void parallel_chunks(std::int64_t count, double flops,
                     const std::function<void(std::int64_t, std::int64_t)>& fn) {
  const int threads = kernel_threads();
  if (threads <= 1 || count < 2 || flops < kParallelFlops) {
    fn(0, count);
    return;
  }
  WorkerPool& workers = pool();
  std::unique_lock job(workers.job_mutex(), std::try_to_lock);
  // Another thread is using the pool (or this is a forked child): do the work alone.
  if (!job.owns_lock() || !workers.usable()) {
    fn(0, count);
    return;
  }
  const std::int64_t parts = std::min<std::int64_t>(workers.workers() + 1, count);
  const std::function<void(int)> task = [&](int part) {
    if (part >= parts) return;
    const std::int64_t begin = count * part / parts;
    const std::int64_t end = count * (part + 1) / parts;
    if (begin < end) fn(begin, end);
  };
  workers.run(task);
}

}  // namespace ksave::detail
