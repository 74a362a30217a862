// Intra-op parallelism for ksave's own kernels, on the same OpenMP threads that oneDNN's
// primitives use (Debian's libdnnl is built for the OpenMP runtime): one pool of workers per
// process rather than two competing ones. Small calls stay on the calling thread: waking the
// workers costs microseconds, so callers pass their cost and below a threshold run serially.
#pragma once

#include <cstdint>
#include <functional>

namespace ksave::detail {

// The intra-op thread count set (ksave::intra_op_parallelism_threads(), within OpenMP's limit).
int configured_threads();
// The count an op runs on now: configured_threads(), or fewer outside training while adaptation
// finds the machine busy (ksave::set_adapt_threads_to_load).
int kernel_threads();

// The threads an op of `flops` (an estimate of its work) runs on: one below the size where
// waking another worker costs more than it saves (tens of microseconds on a 2-core machine under
// load, where a sleeping worker must wait for a core), else kernel_threads().
int threads_for(double flops);

// Makes the calling thread's OpenMP team size `threads` before a oneDNN call (the OpenMP setting
// is per thread; this is one thread-local comparison when nothing changed).
void apply_threads(int threads);
inline void apply_kernel_threads() { apply_threads(kernel_threads()); }

// Runs fn(begin, end) over [0, count) split into contiguous chunks, one per thread, when
// `flops` (an estimate of the total work) is large enough; otherwise calls fn(0, count) on the
// calling thread. Returns after every chunk has finished; an exception from a chunk is rethrown.
// Chunk boundaries depend only on count and the thread count, so results are reproducible.
void parallel_chunks(std::int64_t count, double flops,
                     const std::function<void(std::int64_t, std::int64_t)>& fn);

}  // namespace ksave::detail
