// A tiny fork-join helper for the few kernels big enough to be worth two cores (large matrix
// products). Eigen only parallelises its products under OpenMP, which libksave does not build
// with; splitting the output rows ourselves gives the same speed-up without a new dependency.
// Small calls never touch it: waking a worker costs microseconds, so callers pass their cost and
// the helper runs serially below a threshold.
#pragma once

#include <cstdint>
#include <functional>

namespace ksave::detail {

// Threads the kernels may use: KSAVE_NUM_THREADS when set (1 disables threading), otherwise the
// hardware concurrency, capped at 8.
int kernel_threads();

// Runs fn(begin, end) over [0, count) split into contiguous chunks, one per thread, when
// `flops` (an estimate of the total work) is large enough; otherwise calls fn(0, count) on the
// calling thread. Returns after every chunk has finished; an exception from a chunk is rethrown.
void parallel_chunks(std::int64_t count, double flops,
                     const std::function<void(std::int64_t, std::int64_t)>& fn);

}  // namespace ksave::detail
