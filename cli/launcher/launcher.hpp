// The data-parallel strategy `ksave fit` trains with, from how the process was started.
#pragma once

#include <memory>

#include "ksave/data_parallel.hpp"

namespace ksave::cli {

// Under mpirun (more than one process): a strategy over MPI's processes; otherwise null (this
// process alone). Call before any op runs: it sets the kernels' thread count for the ranks.
std::shared_ptr<DataParallelStrategy> strategy_from_launcher();

}  // namespace ksave::cli
