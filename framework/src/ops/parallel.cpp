#include "parallel.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include "ksave/error.hpp"
#include "ksave/op.hpp"
#include "ksave/threads.hpp"
#include "load_adaptation.hpp"

namespace ksave {
namespace {

// Below this many flops a loop finishes in well under 50 µs on one core, so handing half of it
// to another thread does not pay for the wake-up.
constexpr double kParallelFlops = 2.0e6;

int default_threads() {
  if (const char* env = std::getenv("KSAVE_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n >= 1) return std::min(n, 64);
  }
  const int hw = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(hw, 1, 8);
}

std::atomic<int> g_threads{0};  // 0: the default

}  // namespace

void set_intra_op_parallelism_threads(int threads) {
  if (threads < 0)
    throw Error("set_intra_op_parallelism_threads: expected 0 (default) or a positive count, got " +
                std::to_string(threads));
  g_threads.store(std::min(threads, 256), std::memory_order_relaxed);
}

int intra_op_parallelism_threads() {
  const int set = g_threads.load(std::memory_order_relaxed);
  if (set != 0) return set;
  static const int fallback = default_threads();
  return fallback;
}

int inference_threads() { return detail::adapted_to_load(detail::configured_threads()); }

namespace detail {

// Never more than an OpenMP team may hold (OMP_THREAD_LIMIT): oneDNN plans a primitive for the
// count applied, and its threads wait at barriers for all of them.
// The limit is fixed for the process (OMP_THREAD_LIMIT, read at start-up): read once, not per op.
int configured_threads() {
  static const int limit = std::max(omp_get_thread_limit(), 1);
  return std::min(intra_op_parallelism_threads(), limit);
}

// Under a tape or tracer (training) the set count, so that training's numbers never depend on
// what else the machine runs; otherwise adapted to the machine's load when the user asked for it.
int kernel_threads() { return ops_observed() ? configured_threads() : adapted_to_load(configured_threads()); }

// Inside a parallel region (a chunk of parallel_chunks) an op runs on its calling thread alone:
// a primitive planned for more would run their shares one after another.
int threads_for(double flops) { return flops < kParallelFlops || omp_in_parallel() ? 1 : kernel_threads(); }

void apply_threads(int threads) {
  // oneDNN's kernels that synchronize their threads (a convolution's filter gradient) wait at a
  // barrier for as many threads as they planned for. With OpenMP's dynamic adjustment
  // (OMP_DYNAMIC=true in a user's environment) the runtime may start fewer when the machine is
  // busy, and the call never returns (measured: a CNN training step hung in oneDNN's
  // backward-weights convolution). Each thread that runs kernels turns it off for itself (it is
  // a per-thread setting of OpenMP).
  thread_local bool dynamic_off = false;
  if (!dynamic_off) {
    omp_set_dynamic(0);
    dynamic_off = true;
  }
  thread_local int applied = 0;
  if (applied != threads) {
    omp_set_num_threads(threads);
    applied = threads;
  }
}

void parallel_chunks(std::int64_t count, double flops,
                     const std::function<void(std::int64_t, std::int64_t)>& fn) {
  const int threads = static_cast<int>(std::min<std::int64_t>(kernel_threads(), count));
  // Inside another parallel region (a caller already split the work) stay on this thread.
  if (threads <= 1 || flops < kParallelFlops || omp_in_parallel()) {
    fn(0, count);
    return;
  }
  std::exception_ptr error;
  std::mutex error_mutex;
#pragma omp parallel num_threads(threads)
  {
    const std::int64_t parts = omp_get_num_threads();
    const std::int64_t part = omp_get_thread_num();
    const std::int64_t begin = count * part / parts, end = count * (part + 1) / parts;
    try {
      if (begin < end) fn(begin, end);
    } catch (...) {
      const std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace detail
}  // namespace ksave
