// Intra-op parallelism for ksave's own kernels, on the same OpenMP threads that oneDNN's
// primitives use (Debian's libdnnl is built for the OpenMP runtime): one pool of workers per
// process rather than two competing ones. Small calls stay on the calling thread: waking the
// workers costs microseconds, so callers pass their cost and below a threshold run serially.
#pragma once

#include <cstdint>
#include <functional>

namespace ksave::detail {

// The intra-op thread count in force (ksave::intra_op_parallelism_threads()).
int kernel_threads();

// Makes the calling thread's OpenMP team size match kernel_threads() before a oneDNN call (the
// OpenMP setting is per thread; this is one thread-local comparison when nothing changed).
void apply_kernel_threads();

// Runs fn(begin, end) over [0, count) split into contiguous chunks, one per thread, when
// `flops` (an estimate of the total work) is large enough; otherwise calls fn(0, count) on the
// calling thread. Returns after every chunk has finished; an exception from a chunk is rethrown.
// Chunk boundaries depend only on count and the thread count, so results are reproducible.
void parallel_chunks(std::int64_t count, double flops,
                     const std::function<void(std::int64_t, std::int64_t)>& fn);

}  // namespace ksave::detail
